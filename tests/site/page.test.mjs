// The first page: a result from the wasm core with every part the issue lists, no request to a
// third party, no error, a strict Content-Security-Policy that nothing violates, a favicon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, suite, text } from './helpers.mjs';

const s = suite();

test('first page shows the per-GPU total computed in wasm, component rows and a stacked bar', async () => {
  const { page, external, errors, context } = await open(s);
  assert.match(await text(page, 'total-memory'), /^\d+(\.\d+)? GiB$/);
  const ids = await page.locator('[data-testid^="component-"]').evaluateAll((rows) => rows.map((r) => r.dataset.testid));
  for (const id of ['weights', 'trainable_weights', 'gradients', 'optimizer_states', 'activations', 'logits', 'framework_overhead'])
    assert.ok(ids.includes(`component-${id}`), `row for ${id}`);
  // The stacked bar has one segment per component, and the GPU's capacity marked.
  assert.equal(await page.locator('[data-testid="stacked-bar"] rect').count(), ids.length);
  assert.equal(await page.locator('[data-testid="stacked-bar"] line.cap').count(), 1);
  // The three peaks and the range.
  for (const id of ['peak-allocated', 'peak-reserved', 'peak-device', 'range'])
    assert.match(await text(page, id), /\d+(\.\d+)? GiB/, id);
  assert.match(await text(page, 'range'), /GiB – \d/);
  assert.match(await text(page, 'fit-status'), /Fits|Does not fit/);
  assert.match(await text(page, 'gpus-needed'), /Fits on 1 × NVIDIA GeForce RTX 4090|Needs \d+ ×/);
  assert.deepEqual(external, [], 'no request may leave loopback');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the page shows what the core answers for the request it shows', async () => {
  const { page, context } = await open(s);
  const req = JSON.parse(await page.locator('[data-testid="request"] pre').first().textContent());
  assert.equal(req.task, 'train');
  const r = await page.evaluate(async (q) => {
    const { default: createSizer } = await import('./llm-sizer.js');
    return (await createSizer()).estimate(q);
  }, req);
  await page.locator('[data-testid="unit-toggle"]').click();   // GiB -> GB
  await page.waitForFunction(() => / GB$/.test(document.querySelector('[data-testid="total-memory"]').textContent));
  assert.equal(await text(page, 'total-memory'), `${(r.per_gpu.total_bytes / 1e9).toFixed(2)} GB`);
  for (const c of r.per_gpu.components) {
    const cell = await page.locator(`[data-testid="component-${c.id}"] td.num`).first().textContent();
    assert.equal(cell, c.bytes < 2 ** 20 ? `${c.bytes.toLocaleString('en')} B` : `${(c.bytes / 1e9).toFixed(2)} GB`, c.id);
  }
  await context.close();
});

test('the Content-Security-Policy is strict and nothing on the page violates it', async () => {
  const { page, context, errors } = await open(s);
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'|\*/);
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /connect-src 'self' https:\/\/huggingface\.co https:\/\/hf-mirror\.com;/);
  // No inline script or style attribute in the shipped HTML.
  const html = await (await page.request.get(s.url)).text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(html, /\sstyle=|\son\w+=/);
  // Drive the page a little (tabs, charts, tips) and collect violations.
  await page.evaluate(() => { window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`)); });
  await page.locator('[data-testid="tab-infer"]').click();
  await page.locator('[data-testid="chart-seq"] circle').first().waitFor();
  await page.locator('[data-testid="component-weights"] button').focus();
  await page.locator('[data-testid="tab-recommend"]').click();
  await page.locator('[data-testid="recommend-message"], [data-testid="recommend-table"]').first().waitFor();
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors.filter((e) => /Content Security Policy/i.test(e)), []);
  await context.close();
});

test('favicon, title and description are served from the site itself', async () => {
  const { page, context } = await open(s);
  const href = await page.locator('link[rel="icon"]').getAttribute('href');
  assert.equal(href, 'favicon.svg');
  const res = await page.request.get(new URL(href, s.url).href);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /image\/svg\+xml/);
  assert.match(await page.title(), /^llm-sizer/);
  // Every path in the HTML is relative (the site works under any sub-path, e.g. GitHub Pages).
  const html = await (await page.request.get(s.url)).text();
  for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) assert.doesNotMatch(url, /^(\/|https?:)/, url);
  await context.close();
});
