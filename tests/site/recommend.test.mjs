// The recommendation view: an honest message while the core has no recommender, and the
// contract's table (options: gpu, num_gpus, layout, per_gpu_total_bytes, fits, tokens_per_s,
// usd_per_hour, usd_per_million_tokens, why) once it answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, suite, openGroup } from './helpers.mjs';

const s = suite();

test('the recommendation tab sends the job\'s request and shows the core\'s answer or its refusal', async () => {
  const { page, context, errors } = await open(s, 'view=recommend&method=qlora');
  const req = JSON.parse(await page.locator('[data-testid="request"] pre').first().textContent());
  assert.equal(req.task, 'recommend');
  assert.equal(req.job, 'train');
  assert.equal(req.method, 'qlora');            // the Training tab's settings
  assert.equal(req.objective, 'best_value');
  assert.equal(req.max_num_gpus, 8);
  assert.equal(req.candidates, 'all');
  const implemented = await page.evaluate(async (q) => {
    const { default: createSizer } = await import('./llm-sizer.js');
    try { (await createSizer()).recommend(q); return true; } catch (e) { return e.code !== 'not_implemented'; }
  }, req);
  if (implemented) assert.ok(await page.locator('[data-testid="recommend-table"], [data-testid="recommend-empty"]').count() === 1);
  else assert.match(await page.locator('[data-testid="recommend-message"]').textContent(), /not implemented in this build of the core yet/);
  // Switching the job to inference uses the Inference tab's settings.
  await page.locator('[data-testid="input-job"]').selectOption('infer');
  await page.waitForFunction(() => JSON.parse(document.querySelector('[data-testid="request"] pre').textContent).job === 'infer');
  const q2 = JSON.parse(await page.locator('[data-testid="request"] pre').first().textContent());
  assert.equal(q2.backend, 'vllm');
  assert.match(await page.locator('[data-testid="recommend-uses"]').textContent(), /Inference/);
  // Targets go into the request under the contract's names.
  await openGroup(page, 'targets');
  await page.locator('[data-testid="input-budget_usd_per_hour"]').fill('20');
  await page.locator('[data-testid="input-candidates"]').selectOption(['h100-sxm-80gb', 'l40s']);
  await page.waitForFunction(() => JSON.parse(document.querySelector('[data-testid="request"] pre').textContent).candidates.length === 2);
  const q3 = JSON.parse(await page.locator('[data-testid="request"] pre').first().textContent());
  assert.deepEqual(q3.candidates.sort(), ['h100-sxm-80gb', 'l40s']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the recommendation table renders the contract\'s options', async () => {
  const { page, context } = await open(s);
  const rows = await page.evaluate(async () => {
    const { renderOptions } = await import('./view.js');
    const options = [
      { gpu: 'h100-sxm-80gb', num_gpus: 2, layout: { tp: 2, pp: 1, dp: 1, zero_stage: 0 }, per_gpu_total_bytes: 60 * 2 ** 30, fits: true,
        tokens_per_s: 3100, usd_per_hour: 4.5, usd_per_million_tokens: 0.4, why: 'fastest that fits' },
      { gpu: 'l40s', gpu_name: 'NVIDIA L40S 48GB', num_gpus: 4, layout: { tp: 1, pp: 1, dp: 4, zero_stage: 3 }, per_gpu_total_bytes: 40 * 2 ** 30, fits: true,
        tokens_per_s: 1200, usd_per_hour: 3.48, usd_per_million_tokens: 0.8, why: '<b>cheapest</b>' },
    ];
    const box = document.createElement('div');
    box.append(...renderOptions(options));
    document.body.append(box);
    return [...box.querySelectorAll('tr')].map((tr) => [...tr.children].map((c) => c.textContent));
  });
  assert.deepEqual(rows[0], ['GPU', 'GPUs', 'Layout', 'Per GPU', 'Fits', 'Tokens/s', 'USD/h', 'USD / M tokens', 'Why']);
  assert.deepEqual(rows[1], ['h100-sxm-80gb', '2', 'TP 2', '60.00 GiB', '✓', '3,100', '$4.50', '$0.40', 'fastest that fits']);
  assert.deepEqual(rows[2].slice(0, 3), ['NVIDIA L40S 48GB', '4', 'DP 4 · ZeRO-3']);
  assert.equal(rows[2][8], '<b>cheapest</b>', 'text from the core is shown as text');
  await context.close();
});

test('"Use" puts a recommended GPU and layout into the job\'s tab, where it fits', async (t) => {
  const { page, context } = await open(s, 'view=recommend&model=meta-llama%2FLlama-3.1-70B&method=qlora');
  if (await page.locator('[data-testid="recommend-message"]').count()) return t.skip('the core has no recommender yet');
  const first = page.locator('[data-testid="recommend-table"] tbody tr').first();
  const name = await first.locator('td').first().textContent();
  await first.locator('[data-testid="recommend-apply"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="tab-train"]').getAttribute('aria-selected') === 'true');
  await page.locator('[data-testid="total-memory"]').waitFor();
  assert.match(await page.locator('[data-testid="headline"]').textContent(), new RegExp(name.replace(/[()]/g, '.')));
  assert.match(await page.locator('[data-testid="fit-status"]').textContent(), /Fits/);
  await context.close();
});
