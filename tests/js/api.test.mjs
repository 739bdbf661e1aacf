// The JS API (dist/llm-sizer.js) under node: loading, methods, errors, and byte-identical
// answers with the native build (the golden pairs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const dist = new URL('../../dist/', import.meta.url);
const { default: createSizer, SizerError } = await import(new URL('llm-sizer.js', dist));

const llama3 = {
  model_type: 'llama', num_hidden_layers: 32, hidden_size: 4096, num_attention_heads: 32,
  num_key_value_heads: 8, intermediate_size: 14336, vocab_size: 128256, tie_word_embeddings: false,
};
const gpu = { memory_bytes: 85520809984, memory_bandwidth_bytes_per_s: 3.35e12, dense_bf16_flops: 9.89e14 };

test('createSizer returns one memoised promise', async () => {
  const a = createSizer();
  const b = createSizer();
  assert.equal(a, b);
  const s = await a;
  assert.match(s.version(), /^\d+\.\d+\.\d+/);
});

test('estimate takes and returns objects', async () => {
  const s = await createSizer();
  const r = s.estimate({ task: 'infer', model: llama3, gpu, backend: 'transformers' });
  assert.equal(r.ok, true);
  assert.equal(r.model.params, 8030261248);
  assert.ok(r.per_gpu.components.find((c) => c.id === 'weights').bytes === 2 * 8030261248);
  // A JSON string is accepted too.
  assert.deepEqual(s.estimate(JSON.stringify({ task: 'infer', model: llama3, gpu, backend: 'transformers' })), r);
});

test('a refused request throws SizerError with code and path', async () => {
  const s = await createSizer();
  assert.throws(() => s.estimate({ task: 'train', model: llama3, gpu, micro_batch_size: -3 }), (e) => {
    assert.ok(e instanceof SizerError);
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'out_of_range');
    assert.equal(e.path, '/micro_batch_size');
    assert.match(e.message, /between 1 and/);
    return true;
  });
  assert.throws(() => s.estimate('{not json'), (e) => e instanceof SizerError && e.code === 'invalid_json');
});

test('recommend ranks catalog GPUs for a job', async () => {
  const s = await createSizer();
  const r = s.recommend({ task: 'recommend', job: 'infer', model: 'meta-llama/Llama-3.1-70B', max_model_len: 8192 });
  assert.equal(r.ok, true);
  assert.ok(r.options.length > 0);
  for (const o of r.options) {
    assert.ok(o.fits && o.per_gpu_total_bytes <= o.gpu_memory_bytes, o.gpu);
    // 141 GB of bf16 weights: one GPU of 100 GB or less can never hold it.
    if (o.gpu_memory_bytes < 100e9) assert.ok(o.num_gpus >= 2, o.gpu);
  }
  assert.throws(() => s.recommend({ task: 'recommend', model: llama3, objective: 'cheap' }),
    (e) => e instanceof SizerError && e.path === '/objective');
});

test('models() and gpus() list the catalogs', async () => {
  const s = await createSizer();
  const models = s.models();
  assert.ok(Array.isArray(models) && models.length > 0);
  for (const m of models) assert.ok(m.id && m.params > 0, m.id);
  const gpus = s.gpus();
  assert.ok(Array.isArray(gpus));
  for (const g of gpus) assert.ok(g.id && g.memory_bytes > 0 && g.sources, g.id);
});

test('golden pairs: the wasm core answers byte for byte like the native build', async () => {
  const { default: createCore } = await import(new URL('llm-sizer-core.mjs', dist));
  const core = await createCore({ wasmBinary: readFileSync(new URL('llm-sizer-core.wasm', dist)) });
  const golden = new URL('../golden/', import.meta.url);
  const names = readFileSync(new URL('index.txt', golden), 'utf8').split('\n').filter(Boolean);
  assert.ok(names.length >= 3);
  for (const name of names) {
    const request = readFileSync(new URL(`${name}.request.json`, golden), 'utf8');
    const expected = readFileSync(new URL(`${name}.response.json`, golden), 'utf8').trimEnd();
    assert.equal(core.estimate(request), expected, name);
  }
});
