// Embedding: the <llm-sizer-widget> web component and the iframe (?embed), as the example
// page shows them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, open, suite } from './helpers.mjs';

const s = suite();

test('the example page\'s web components render answers from the core', async () => {
  const { page, context, errors, external } = await newPage(s.browser);
  await page.goto(`${s.url}embed-example.html`);
  const train = page.locator('#w-train');
  await train.locator('[data-testid="total-memory"]').waitFor();   // playwright pierces the shadow root
  assert.match(await train.locator('[data-testid="total-memory"]').textContent(), /^\d+(\.\d+)? GiB$/);
  assert.equal(await train.locator('[data-testid="component-weights"]').count(), 1);
  assert.equal(await train.locator('[data-testid="stacked-bar"] rect').count(), await train.locator('li').count());
  // Same numbers as the core for the same request.
  const expected = await page.evaluate(async () => {
    const { default: createSizer } = await import('./llm-sizer.js');
    const r = (await createSizer()).estimate({ task: 'train', model: 'Qwen/Qwen2.5-7B', gpu: 'rtx-4090', method: 'qlora', seq_len: 4096, lora: { r: 64 } });
    return `${(r.per_gpu.total_bytes / 2 ** 30).toFixed(2)} GiB`;
  });
  assert.equal(await train.locator('[data-testid="total-memory"]').textContent(), expected);
  assert.match(await train.locator('[data-testid="fit-status"]').textContent(), /Fits|Does not fit/, 'the page\'s language');
  // lang="zh" on the second widget.
  const infer = page.locator('#w-infer');
  await infer.locator('[data-testid="fit-status"]').waitFor();
  assert.match(await infer.locator('[data-testid="fit-status"]').textContent(), /放得下|放不下/);
  // The link opens the full calculator with the same request.
  const href = await train.locator('a').getAttribute('href');
  assert.match(href, /index\.html#view=train&.*method=qlora/);
  assert.match(href, /lora\.r=64/);
  // Attributes are live.
  const before = await train.locator('[data-testid="total-memory"]').textContent();
  await page.evaluate(() => document.querySelector('#w-train').setAttribute('seq-len', '512'));
  await page.waitForFunction((b) => document.querySelector('#w-train').shadowRoot.querySelector('[data-testid="total-memory"]').textContent !== b, before);
  // A refused request is shown as an error, not thrown.
  await page.evaluate(() => document.querySelector('#w-train').setAttribute('method', 'lorax'));
  await train.locator('[data-testid="widget-error"]').waitFor();
  assert.match(await train.locator('[data-testid="widget-error"]').textContent(), /did you mean "lora"/);
  assert.deepEqual(errors, []);
  assert.deepEqual(external, []);
  await context.close();
});

test('the iframe snippet shows the result alone, with a link to the full page', async () => {
  const { page, context } = await newPage(s.browser);
  await page.goto(`${s.url}embed-example.html`);
  const frame = page.frameLocator('#f-infer');
  await frame.locator('[data-testid="total-memory"]').waitFor();
  assert.equal(await frame.locator('#form').isVisible(), false, 'inputs hidden');
  assert.equal(await frame.locator('[data-testid="component-kv_cache"]').count(), 1);
  const href = await frame.locator('[data-testid="open-full"]').getAttribute('href');
  assert.match(href, /^\.\/#view=infer&.*gpu=l40s/);
  await context.close();
  // An embedded page neither reads nor overwrites the visitor's own saved state.
  const own = await open(s, 'method=full');
  await own.page.goto(`${s.url}?embed#method=freeze`);
  await own.page.waitForSelector('html[data-ready="1"]');
  await own.page.goto(s.url);
  await own.page.waitForSelector('html[data-ready="1"]');
  assert.match(await own.page.evaluate(() => location.hash), /method=full/);
  await own.context.close();
});
