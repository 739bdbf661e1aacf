// The training view: inputs change the answer, options appear when they apply, a refused value
// is explained next to its field, the GPU count search, the charts and the formula tips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, suite, text, totalChange, RESULT, openGroup } from './helpers.mjs';

const s = suite();

test('changing an input re-asks the core; method-specific options show only when they apply', async () => {
  const { page, context, errors } = await open(s);
  const lora = await text(page, 'total-memory');
  await page.locator('[data-testid="input-method"]').selectOption('full');
  const full = await totalChange(page, lora);
  assert.ok(parseFloat(full) > parseFloat(lora), `full ${full} > lora ${lora}`);
  assert.ok(await page.locator('[data-field="lora.r"]').isHidden(), 'LoRA rank hidden for full fine-tuning');
  assert.ok(await page.locator('[data-testid="component-trainable_weights"]').count() === 0);
  await page.locator('[data-testid="input-method"]').selectOption('qlora');
  await totalChange(page, full);
  assert.ok(await page.locator('[data-field="qlora.quant_type"]').isVisible());
  assert.ok(await page.locator('[data-field="lora.r"]').isVisible());
  // Offload options only with ZeRO; parameter offload only with ZeRO-3.
  assert.ok(await page.locator('[data-field="offload_optimizer"]').isHidden());
  await openGroup(page, 'parallel');
  await page.locator('[data-testid="input-num_gpus"]').fill('4');
  await page.locator('[data-testid="input-zero_stage"]').selectOption('3');
  assert.ok(await page.locator('[data-field="offload_param"]').isVisible());
  assert.deepEqual(errors, []);
  await context.close();
});

test('a refused value shows the core\'s message next to the field its JSON path names', async () => {
  const { page, context } = await open(s);
  await page.locator('[data-testid="input-lora.r"]').fill('0');
  const err = page.locator('[data-testid="error-lora.r"]');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /r must be between 1 and/);
  assert.equal(await page.locator('[data-testid="input-lora.r"]').getAttribute('aria-invalid'), 'true');
  assert.match(await text(page, 'result-error'), /refused/);
  await page.locator('[data-testid="input-lora.r"]').fill('8');
  await page.locator(RESULT).waitFor();
  assert.ok(await err.isHidden());
  // A cross-field refusal lands on the field its path names.
  await openGroup(page, 'parallel');
  await page.locator('[data-testid="input-parallel.tp"]').fill('3');
  const z = page.locator('[data-testid="error-parallel.tp"]');   // the core says "/parallel"
  await z.waitFor({ state: 'visible' });
  assert.match(await z.textContent(), /tp/);
  await context.close();
});

test('how many GPUs: the core is asked again with more GPUs until the job fits', async () => {
  const { page, context } = await open(s, 'model=meta-llama%2FLlama-3.1-70B&method=full&gpu=a100-sxm-80gb');
  assert.match(await text(page, 'fit-status'), /Does not fit/);
  assert.match(await text(page, 'gpus-needed'), /^Needs \d+ × NVIDIA A100 SXM4 80GB \(ZeRO-3 over \d+ GPUs\)\.$/);
  const n = Number((await text(page, 'gpus-needed')).match(/Needs (\d+)/)[1]);
  // Following the advice gives a fitting answer.
  await page.goto(`${s.url}#model=meta-llama%2FLlama-3.1-70B&method=full&gpu=a100-sxm-80gb&num_gpus=${n}&zero_stage=3`);
  await page.reload();
  await page.waitForSelector('html[data-ready="1"]');
  assert.match(await text(page, 'fit-status'), /Fits/);
  await context.close();
});

test('charts of memory against sequence length and batch size come from repeated estimates', async () => {
  const { page, context } = await open(s);
  for (const id of ['chart-seq', 'chart-batch']) {
    const chart = page.locator(`[data-testid="${id}"]`);
    await chart.locator('circle').first().waitFor();
    const n = await chart.locator('circle').count();
    assert.ok(n >= 8, `${id}: ${n} points`);
    assert.equal(await chart.locator('line.cur').count(), 1, 'the current setting is marked');
    assert.equal(await chart.locator('line.cap').count(), 1, 'the GPU memory is marked');
    assert.ok(await chart.locator('path.area').count() >= 5, 'stacked by component');
  }
  // The point at the current sequence length says the same total as the headline.
  const title = await page.locator('[data-testid="chart-seq"] circle[data-x="2048"] title').textContent();
  assert.equal(title, `2K: ${await text(page, 'total-memory')}`);
  // Longer sequences need more memory (activations grow).
  const ys = await page.locator('[data-testid="chart-seq"] circle').evaluateAll((c) => c.map((e) => Number(e.getAttribute('cy'))));
  assert.ok(ys.at(-1) < ys[0], 'the last point is higher than the first');
  await context.close();
});

test('formula tips: after 1 s of hover, at once on focus and on tap; Escape closes', async () => {
  const { page, context } = await open(s);
  const tip = page.locator('[data-testid="formula-tip"]');
  const row = page.locator('[data-testid="component-weights"]');
  await row.locator('td.num').first().hover();
  await page.waitForTimeout(500);
  assert.equal(await tip.count() === 0 || await tip.isHidden(), true, 'not yet after 0.5 s');
  await page.waitForTimeout(800);
  assert.ok(await tip.isVisible(), 'shown after 1 s');
  const shown = await tip.textContent();
  assert.match(shown, /Formula/);
  assert.match(shown, /Numbers put in/);
  assert.match(shown, /params/);
  assert.match(shown, /Source/);
  await page.mouse.move(0, 0);
  await tip.waitFor({ state: 'hidden' });
  // Keyboard: focus shows it at once; Escape hides it.
  await page.locator('[data-testid="component-activations"] button').focus();
  assert.ok(await tip.isVisible());
  assert.match(await tip.textContent(), /seq_len/);
  assert.equal(await page.locator('[data-testid="component-activations"] button').getAttribute('aria-describedby'), 'tip');
  await page.keyboard.press('Escape');
  assert.ok(await tip.isHidden());
  await context.close();
  // Touch: a tap shows it.
  const m = await open(s, '', { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  await m.page.locator('[data-testid="component-optimizer_states"] button').tap();
  assert.ok(await m.page.locator('[data-testid="formula-tip"]').isVisible());
  assert.match(await m.page.locator('[data-testid="formula-tip"]').textContent(), /optimizer/i);
  await m.context.close();
});
