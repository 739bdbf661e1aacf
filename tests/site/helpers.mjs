// Shared set-up for the browser tests: serve dist/ on loopback, drive Debian's chromium.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export async function startServer() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const proc = spawn(process.execPath, ['scripts/serve.mjs', 'dist', '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(proc.stdout, 'data');
  return { url: `http://127.0.0.1:${port}/`, close: () => proc.kill() };
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

export async function newPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith('http://127.0.0.1')) external.push(r.url()); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, external, errors };
}

export function userDataDir() {
  return mkdtempSync(join(tmpdir(), 'llm-sizer-chromium-'));
}
