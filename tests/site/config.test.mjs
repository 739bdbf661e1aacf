// config.json import: pasted, from a file, or fetched from the Hub — the last only when the
// user presses the button. Text from a pasted config is rendered as text, never as HTML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, suite, text, totalChange } from './helpers.mjs';

const s = suite();
const LLAMA_8B = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, intermediate_size: 14336,
  num_attention_heads: 32, num_hidden_layers: 32, num_key_value_heads: 8, vocab_size: 128256,
  max_position_embeddings: 131072, rms_norm_eps: 1e-5, tie_word_embeddings: false, torch_dtype: 'bfloat16',
};

test('a pasted config.json gives the same answer as the preset it copies, and travels in the link', async () => {
  const { page, context, errors } = await open(s);
  const preset = await text(page, 'total-memory');
  await page.locator('[data-testid="import"] summary').click();
  await page.locator('[data-testid="config-paste"]').fill(JSON.stringify({ ...LLAMA_8B, _name_or_path: 'my-llama', not_a_config_key: 1 }));
  await page.locator('[data-testid="config-use"]').click();
  await page.locator('[data-testid="config-in-use"]').waitFor();
  assert.match(await text(page, 'config-in-use'), /my-llama/);
  assert.equal(await text(page, 'total-memory'), preset);
  const req = JSON.parse(await page.locator('[data-testid="request"] pre').first().textContent());
  assert.equal(req.model.num_key_value_heads, 8);
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /config=/);
  // Keys the core ignores (it warns) are dropped from the link; what it reads stays.
  assert.doesNotMatch(decodeURIComponent(hash), /not_a_config_key/);
  assert.match(decodeURIComponent(hash), /num_key_value_heads/);
  const shared = await open(s, hash.slice(1));
  assert.equal(await text(shared.page, 'total-memory'), preset);
  assert.match(await text(shared.page, 'config-in-use'), /my-llama/);
  await shared.page.locator('[data-testid="config-clear"]').click();
  await shared.page.waitForFunction(() => !location.hash.includes('config='));
  await shared.context.close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a config.json file can be chosen; a broken one is reported, not applied', async () => {
  const { page, context } = await open(s);
  const before = await text(page, 'total-memory');
  await page.locator('[data-testid="import"] summary').click();
  await page.locator('[data-testid="config-file"]').setInputFiles({ name: 'config.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ ...LLAMA_8B, num_hidden_layers: 16, _name_or_path: 'half-llama' })) });
  const after = await totalChange(page, before);
  assert.ok(parseFloat(after) < parseFloat(before));
  assert.match(await text(page, 'config-in-use'), /half-llama/);
  await page.locator('[data-testid="import"] summary').click();
  await page.locator('[data-testid="config-paste"]').fill('{"model_type": "llama",');
  await page.locator('[data-testid="config-use"]').click();
  assert.match(await text(page, 'import-status'), /Not valid JSON/);
  assert.equal(await text(page, 'total-memory'), after);
  // A config the core refuses: its message sits by the model field.
  await page.locator('[data-testid="config-paste"]').fill(JSON.stringify({ model_type: 'llama', hidden_size: 4096 }));
  await page.locator('[data-testid="config-use"]').click();
  await page.locator('[data-testid="error-model"]').waitFor({ state: 'visible' });
  assert.match(await text(page, 'error-model'), /num_hidden_layers/);
  await context.close();
});

test('markup in a pasted config is shown as text, never run or parsed as HTML', async () => {
  const { page, context, errors } = await open(s);
  await page.evaluate(() => { window.__xss = 0; });
  const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  await page.locator('[data-testid="import"] summary').click();
  await page.locator('[data-testid="config-paste"]').fill(JSON.stringify({ ...LLAMA_8B, _name_or_path: evil, model_type: 'llama' }));
  await page.locator('[data-testid="config-use"]').click();
  await page.locator('[data-testid="config-in-use"]').waitFor();
  assert.ok((await text(page, 'config-in-use')).includes(evil));
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__xss), 0);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  // An unknown key with markup comes back in the core's warnings: also text.
  await page.locator('[data-testid="import"] summary').click();
  await page.locator('[data-testid="config-paste"]').fill(JSON.stringify({ ...LLAMA_8B, '<b>bold</b>': 1 }));
  await page.locator('[data-testid="config-use"]').click();
  await page.locator('[data-testid="warnings"]').waitFor();
  assert.match(await text(page, 'warnings'), /<b>bold<~1b>/);   // a JSON pointer escapes '/' as ~1
  assert.equal(await page.locator('[data-testid="warnings"] b').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the Hub is contacted only when the user presses Fetch, and only the chosen host', async () => {
  const { page, context, external } = await open(s);
  const hits = [];
  await context.route(/^https:\/\/(huggingface\.co|hf-mirror\.com)\//, (route) => {
    hits.push(route.request().url());
    const gated = route.request().url().includes('gated');
    return route.fulfill({ status: gated ? 401 : 200, contentType: 'application/json', headers: { 'access-control-allow-origin': '*' },
      body: gated ? '{"error":"gated"}' : JSON.stringify({ ...LLAMA_8B, _name_or_path: 'from-the-hub' }) });
  });
  await page.locator('[data-testid="import"] summary').click();
  await page.waitForTimeout(300);
  assert.deepEqual(external, [], 'opening the import panel sends nothing');
  await page.locator('[data-testid="hub-id"]').fill('meta-llama/Llama-3.1-8B');
  await page.locator('[data-testid="hub-fetch"]').click();
  await page.locator('[data-testid="config-in-use"]').waitFor();
  assert.deepEqual(hits, ['https://huggingface.co/meta-llama/Llama-3.1-8B/resolve/main/config.json']);
  assert.match(await text(page, 'config-in-use'), /from-the-hub/);
  // The mirror, and a gated model's refusal explained.
  await page.locator('[data-testid="import"] summary').click();
  await page.locator('[data-testid="hub-host"]').selectOption('hf-mirror.com');
  await page.locator('[data-testid="hub-id"]').fill('org/gated-model');
  await page.locator('[data-testid="hub-fetch"]').click();
  await page.waitForFunction(() => /401/.test(document.querySelector('[data-testid="import-status"]').textContent));
  assert.match(await text(page, 'import-status'), /gated or private/);
  assert.equal(hits[1], 'https://hf-mirror.com/org/gated-model/resolve/main/config.json');
  // A malformed id is refused before any request.
  await page.locator('[data-testid="hub-id"]').fill('not an id');
  await page.locator('[data-testid="hub-fetch"]').click();
  assert.match(await text(page, 'import-status'), /owner\/name/);
  assert.equal(hits.length, 2);
  await context.close();
});
