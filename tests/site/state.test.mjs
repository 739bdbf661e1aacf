// State: every input is in the URL (a reload or a shared link gives the same result) and in
// localStorage (a visit without a link restores the last state).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, suite, text, totalChange, openGroup } from './helpers.mjs';

const s = suite();

async function setUp(page) {
  await page.locator('[data-testid="input-method"]').selectOption('qlora');
  await page.locator('[data-testid="input-seq_len"]').fill('4096');
  await page.locator('[data-testid="input-lora.r"]').fill('64');
  await page.locator('[data-testid="input-gpu"]').selectOption('l40s');
  await openGroup(page, 'savers');
  await page.locator('[data-testid="input-gradient_checkpointing"]').selectOption('none');
  await page.locator('[data-testid="input-model"]').fill('Qwen/Qwen2.5-7B');
  await page.locator('[data-testid="input-model"]').press('Enter');
  await page.waitForFunction(() => /Qwen2\.5-7B/.test(location.hash) && /gradient_checkpointing=none/.test(location.hash));
}

test('the URL holds every input; a reload and a shared link give the same result', async () => {
  const { page, context } = await open(s);
  await setUp(page);
  const hash = await page.evaluate(() => location.hash);
  for (const part of ['method=qlora', 'seq_len=4096', 'lora.r=64', 'gpu=l40s', 'gradient_checkpointing=none', 'model=Qwen%2FQwen2.5-7B'])
    assert.ok(hash.includes(part), `${part} in ${hash}`);
  const total = await text(page, 'total-memory');
  const request = await page.locator('[data-testid="request"] pre').first().textContent();
  await page.reload();
  await page.waitForSelector('html[data-ready="1"]');
  assert.equal(await text(page, 'total-memory'), total);
  assert.equal(await page.locator('[data-testid="input-seq_len"]').inputValue(), '4096');
  await context.close();
  // A shared link: a new browser context (no storage) opening the same URL.
  const other = await open(s, hash.slice(1));
  assert.equal(await text(other.page, 'total-memory'), total);
  assert.equal(await other.page.locator('[data-testid="request"] pre').first().textContent(), request);
  assert.equal(await other.page.locator('[data-testid="input-method"]').inputValue(), 'qlora');
  await other.context.close();
});

test('the view, the inference inputs and a custom GPU are in the link too', async () => {
  const { page, context } = await open(s, 'view=infer&gpu=custom&gpu_mem_gib=32&gpu_bw_gbs=900&gpu_tflops=120&batch_size=8');
  assert.equal(await page.locator('[data-testid="tab-infer"]').getAttribute('aria-selected'), 'true');
  const req = JSON.parse(await page.locator('[data-testid="request"] pre').first().textContent());
  assert.deepEqual(req.gpu, { name: 'custom', memory_bytes: 32 * 2 ** 30, memory_bandwidth_bytes_per_s: 9e11, dense_bf16_flops: 1.2e14 });
  assert.equal(req.batch_size, 8);
  assert.match(await text(page, 'total-memory'), /GiB/);
  assert.match(await page.locator('[data-testid="headline"]').textContent(), /of 32\.00 GiB/);
  // Editing the custom GPU updates the answer and the link.
  const before = await text(page, 'total-memory');
  await page.locator('[data-testid="input-gpu_mem_gib"]').fill('80');
  await page.waitForFunction(() => location.hash.includes('gpu_mem_gib=80'));
  await page.waitForFunction((b) => document.querySelector('[data-testid="headline"]').textContent.includes('80.00 GiB') || document.querySelector('[data-testid="total-memory"]').textContent !== b, before);
  await context.close();
});

test('without a link, the last state comes back from localStorage', async () => {
  const { page, context } = await open(s);
  const first = await text(page, 'total-memory');
  await page.locator('[data-testid="input-micro_batch_size"]').fill('4');
  const changed = await totalChange(page, first);
  await page.goto(s.url);   // no hash
  await page.waitForSelector('html[data-ready="1"]');
  assert.equal(await text(page, 'total-memory'), changed);
  assert.equal(await page.locator('[data-testid="input-micro_batch_size"]').inputValue(), '4');
  await context.close();
});
