// Offline: the service worker caches the page on the first visit, so a second visit works with
// no network at all; the GitHub Pages workflow deploys dist/ as built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { newPage, suite, text } from './helpers.mjs';

const s = suite();

test('after one visit the page works with the network off', async () => {
  const { page, context } = await newPage(s.browser);
  await page.goto(`${s.url}#method=full`);
  await page.waitForSelector('html[data-ready="1"]');
  const total = await text(page, 'total-memory');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  s.server.sent.length = 0;
  await page.reload();
  await page.waitForSelector('html[data-ready="1"]');
  assert.equal(await text(page, 'total-memory'), total);
  // Another view and the other language still work offline (the language is cached on first use
  // while online, so switch once online first).
  await page.locator('[data-testid="tab-infer"]').click();
  await page.locator('[data-testid="component-kv_cache"]').waitFor();
  assert.equal(s.server.sent.length, 0, 'nothing reached the server');
  await context.close();
});

test('the service worker is stamped with the build\'s file list and version', async () => {
  const sw = await readFile(new URL('../../dist/sw.js', import.meta.url), 'utf8');
  assert.match(sw, /const VERSION = 'llm-sizer-[0-9a-f]{12}';/);
  const files = JSON.parse(sw.match(/const FILES = (\[.*\]);/)[1]);
  for (const f of ['./', './app.js', './llm-sizer.js', './llm-sizer-core.mjs', './llm-sizer-core.wasm', './style.css', './favicon.svg'])
    assert.ok(files.includes(f), f);
  assert.ok(!files.includes('./index.html'), 'the page is cached once, as ./');
});

test('the GitHub Pages workflow builds with the project\'s script and deploys dist/', async () => {
  const wf = await readFile(new URL('../../.github/workflows/pages.yml', import.meta.url), 'utf8');
  assert.match(wf, /actions\/upload-pages-artifact@v\d+/);
  assert.match(wf, /path: dist/);
  assert.match(wf, /actions\/deploy-pages@v\d+/);
  assert.match(wf, /bash scripts\/build\.sh/);
  assert.match(wf, /pages: write/);
});
