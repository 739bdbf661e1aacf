// The page's transfer budget (shared/DESIGN.md): at most 250 KB gzip transferred by a first
// visit, counted by the server (body bytes actually sent, service-worker install included).
// Bytes are deterministic, so this is a test; the time to first result is measured by
// bench/run.sh (bench/bench_page.mjs), never asserted in a test that a busy machine could fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, suite } from './helpers.mjs';

const s = suite();
const TRANSFER_BYTES = 250_000;

test('a first visit transfers at most 250 KB gzip; a second one almost nothing', async (t) => {
  s.server.sent.length = 0;
  const { page, context } = await newPage(s.browser);
  await page.goto(s.url);
  await page.waitForSelector('html[data-ready="1"]');
  await page.evaluate(() => navigator.serviceWorker.ready);   // its install has cached the offline files
  await page.waitForTimeout(300);
  const first = [...s.server.sent];
  const total = first.reduce((a, r) => a + r.bytes, 0);
  const core = first.filter((r) => /llm-sizer-core/.test(r.path)).reduce((a, r) => a + r.bytes, 0);
  const byPath = {};
  for (const r of first) byPath[r.path] = (byPath[r.path] ?? 0) + r.bytes;
  t.diagnostic(`first visit: ${total} B gzip in ${first.length} responses (wasm core + glue ${core} B, site ${total - core} B)`);
  t.diagnostic(Object.entries(byPath).map(([p, b]) => `${p} ${b}`).join(', '));
  assert.ok(first.every((r) => r.status !== 404), 'no missing file');

  s.server.sent.length = 0;
  await page.reload();
  await page.waitForSelector('html[data-ready="1"]');
  await page.waitForTimeout(200);
  const second = s.server.sent.reduce((a, r) => a + r.bytes, 0);
  t.diagnostic(`second visit: ${second} B in ${s.server.sent.length} responses`);
  assert.ok(second < 2000, `second visit sent ${second} B`);
  assert.ok(total - core <= 40_000, `the site's own files: ${total - core} B`);
  assert.ok(total <= TRANSFER_BYTES, `first visit sent ${total} B gzip (budget ${TRANSFER_BYTES})`);
  await context.close();
});
