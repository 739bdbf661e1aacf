// The page, cold: serve DIST on loopback with scripts/serve.mjs, open it in headless Chromium
// with a fresh profile (empty HTTP cache, no service worker) per run, and record
//  - first result: ms from navigation start (performance.timeOrigin) until the element
//    [data-testid="total-memory"] holds a number (its placeholder "…" does not count), taken
//    in the page by a MutationObserver, so no polling delay is added;
//  - a breakdown from the Navigation/Resource Timing entries (HTML, wasm, DOMContentLoaded);
//  - bytes: every response the page loaded, each body gzip -9'd (zlib level 9) and summed,
//    whatever the server sent; and, when scripts/serve.mjs supports --log, the bytes the server
//    actually sent in the visit (service-worker precache included).
// Prints one JSON object.   node bench/bench_page.mjs DIST [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve-child.mjs';

const dist = resolve(process.argv[2] ?? 'dist');
const quick = process.argv.includes('--quick');
const runs = quick ? 3 : 10;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The flags TOOLCHAIN.md lists for Debian's chromium as root.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const server = await startServer(dist, { log: true });
const { sent, url } = server;

async function visit() {
  const profile = mkdtempSync(join(tmpdir(), 'llm-sizer-bench-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: FLAGS, headless: true });
  try {
    await context.addInitScript(() => {
      const done = () => /\d/.test(document.querySelector('[data-testid="total-memory"]')?.textContent ?? '');
      const mark = () => { if (!window.__firstResult && done()) window.__firstResult = performance.now(); };
      new MutationObserver(mark).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const responses = [];
    page.on('response', (r) => responses.push(r));
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith('http://127.0.0.1')) external.push(r.url()); });
    const sentBefore = sent.length;
    await page.goto(url);
    await page.waitForFunction(() => window.__firstResult, null, { timeout: 30000, polling: 10 });
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(300);  // let a service-worker precache finish
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      const wasm = res.find((e) => e.name.endsWith('.wasm'));
      return { first_result_ms: window.__firstResult, html_ms: nav.responseEnd, dom_content_loaded_ms: nav.domContentLoadedEventEnd,
               wasm_ms: wasm ? wasm.responseEnd : null, last_resource_ms: Math.max(0, ...res.map((e) => e.responseEnd)),
               waterfall: res.map((e) => ({ path: new URL(e.name).pathname, start_ms: Math.round(e.startTime), end_ms: Math.round(e.responseEnd) })) };
    });
    const files = [];
    for (const r of responses) {
      const body = await r.body().catch(() => null);
      if (!body) continue;
      files.push({ path: new URL(r.url()).pathname, raw: body.length, gzip9: gzipSync(body, { level: 9 }).length });
    }
    const server_sent = sent.slice(sentBefore);
    return { ...timing, files, server_sent, external };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const results = [];
try {
  for (let i = 0; i < runs; i++) results.push(await visit());
} finally {
  server.close();
}
const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
};
const first = results[0];
const out = {
  runs, chromium: CHROMIUM,
  first_result_ms: { median: median(results.map((r) => r.first_result_ms)), min: Math.min(...results.map((r) => r.first_result_ms)),
                     max: Math.max(...results.map((r) => r.first_result_ms)), all: results.map((r) => Math.round(r.first_result_ms)) },
  html_ms: median(results.map((r) => r.html_ms)), dom_content_loaded_ms: median(results.map((r) => r.dom_content_loaded_ms)),
  wasm_ms: median(results.map((r) => r.wasm_ms)), last_resource_ms: median(results.map((r) => r.last_resource_ms)),
  page_bytes_gzip9: first.files.reduce((a, f) => a + f.gzip9, 0), page_bytes_raw: first.files.reduce((a, f) => a + f.raw, 0),
  page_files: first.files.sort((a, b) => b.gzip9 - a.gzip9),
  waterfall_of_median_run: [...results].sort((a, b) => a.first_result_ms - b.first_result_ms)[Math.floor((results.length - 1) / 2)].waterfall,
  server_sent_bytes: first.server_sent.length ? first.server_sent.reduce((a, s) => a + (s.bytes ?? 0), 0) : null,
  server_responses: first.server_sent.length || null,
  external_requests: [...new Set(results.flatMap((r) => r.external))],
};
process.stdout.write(`${JSON.stringify(out)}\n`);
