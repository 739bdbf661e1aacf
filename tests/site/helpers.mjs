// Shared set-up for the browser tests: serve dist/ on loopback, drive Debian's chromium.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer as startChild } from '../../scripts/serve-child.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Serves dist/ on a free loopback port; `sent` lists every response ({path, status, bytes}). */
export const startServer = () => startChild('dist', { log: true });

export async function launch(options = {}) {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true, ...options });
}

/** A fresh context (cold cache, empty storage) and page, recording what must not happen:
 * requests leaving loopback, uncaught errors, console errors and CSP violations. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  const page = await context.newPage();
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith('http://127.0.0.1')) external.push(r.url()); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return { context, page, external, errors };
}

export function userDataDir() {
  return mkdtempSync(join(tmpdir(), 'llm-sizer-chromium-'));
}

/** Registers before/after hooks for one server and one browser per test file. */
export function suite() {
  const s = {};
  before(async () => { s.server = await startServer(); s.url = s.server.url; s.browser = await launch(); });
  after(async () => { await s.browser?.close(); s.server?.close(); });
  return s;
}

export const RESULT = '[data-testid="total-memory"]';

/** Opens the page (optionally at a #state) and waits for the first answer of the core. */
export async function open(s, hash = '', options = {}) {
  const p = await newPage(s.browser, options);
  await p.page.goto(s.url + (options.path ?? '') + (hash ? `#${hash}` : ''));
  await p.page.waitForSelector('html[data-ready="1"]', { timeout: 15000 });
  await p.page.waitForSelector('#form .field', { timeout: 15000 });
  return p;
}

export const text = (page, testid) => page.locator(`[data-testid="${testid}"]`).first().textContent();

/** Waits until the per-GPU total differs from `before`, and returns it. */
export async function totalChange(page, before) {
  await page.waitForFunction((b) => document.querySelector('[data-testid="total-memory"]')?.textContent !== b, before, { timeout: 5000 });
  return page.locator(RESULT).textContent();
}

/** Opens a <details> group of the form (whether it starts open or not). */
export const openGroup = (page, g) => page.locator(`[data-group="${g}"]`).evaluate((d) => { d.open = true; });
