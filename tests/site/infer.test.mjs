// The inference view: KV capacity and concurrency, ecosystem names in the help, tensor
// parallelism, and speed figures shown only when the core gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, suite, text, totalChange, openGroup } from './helpers.mjs';

const s = suite();

test('inference shows the KV cache capacity and the maximum concurrency', async () => {
  const { page, context, errors } = await open(s, 'view=infer&model=meta-llama%2FLlama-3.1-8B&gpu=h100-sxm-80gb');
  assert.equal(await page.locator('[data-testid="tab-infer"]').getAttribute('aria-selected'), 'true');
  for (const id of ['weights', 'kv_cache', 'activations', 'runtime_overhead'])
    assert.equal(await page.locator(`[data-testid="component-${id}"]`).count(), 1, id);
  assert.match(await text(page, 'kv-capacity_tokens'), /^\d{1,3}(,\d{3})+$/);
  assert.match(await text(page, 'kv-max_concurrency'), /^\d+(\.\d+)?$/);
  assert.match(await text(page, 'kv-bytes_per_token'), /^131,072 B$/);   // 32 layers · 8 KV heads · 128 · 2 (K,V) · 2 B
  assert.deepEqual(errors, []);
  await context.close();
});

test('every option carries its ecosystem name (vLLM, PEFT, DeepSpeed) in its help', async () => {
  const { page, context } = await open(s, 'view=infer');
  const help = (id) => page.locator(`#h-${id.replace('.', '\\.')}`).textContent();
  assert.match(await help('gpu_memory_utilization'), /vLLM --gpu-memory-utilization/);
  assert.match(await help('max_model_len'), /--max-model-len/);
  assert.match(await help('kv_cache_dtype'), /--kv-cache-dtype/);
  assert.match(await help('tensor_parallel_size'), /--tensor-parallel-size/);
  await page.locator('[data-testid="tab-train"]').click();
  assert.match(await help('lora.r'), /PEFT LoraConfig\(r=/);
  assert.match(await help('zero_stage'), /DeepSpeed zero_optimization\.stage/);
  assert.match(await help('offload_optimizer'), /offload_optimizer\.device/);
  await context.close();
});

test('tensor parallelism splits the weights over GPUs', async () => {
  const { page, context } = await open(s, 'view=infer&model=meta-llama%2FLlama-3.1-70B&gpu=h100-sxm-80gb&backend=transformers');
  const one = await text(page, 'total-memory');
  assert.match(await text(page, 'fit-status'), /Does not fit/);
  assert.match(await text(page, 'gpus-needed'), /Needs \d+ × NVIDIA H100 SXM5 80GB \(tensor parallel \d+\)/);
  await openGroup(page, 'engine');
  await page.locator('[data-testid="input-tensor_parallel_size"]').fill('4');
  const four = await totalChange(page, one);
  assert.ok(parseFloat(four) < parseFloat(one) / 2, `${four} vs ${one}`);
  await context.close();
});

test('speed figures appear only when the core gives them; nothing is made up', async () => {
  const { page, context } = await open(s, 'view=infer');
  const perf = await page.evaluate(async () => {
    const { default: createSizer } = await import('./llm-sizer.js');
    const q = JSON.parse(document.querySelector('[data-testid="request"] pre').textContent);
    return (await createSizer()).estimate(q).performance ?? {};
  });
  const numbers = Object.entries(perf).filter(([, v]) => typeof v === 'number');
  assert.equal(await page.locator('[data-testid="speed"]').count(), numbers.length ? 1 : 0);
  for (const [k] of numbers) assert.equal(await page.locator(`[data-testid="perf-${k}"]`).count(), 1, k);
  await context.close();
});
