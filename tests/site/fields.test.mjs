// The form against the core (no browser): every option the page offers is accepted by the
// wasm module, and every value the core accepts is offered; defaults are valid; state keys are
// unique. The allowed lists are read from the core's own error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import createSizer from '../../dist/llm-sizer.js';
import { FIELDS, SWEEPS, put } from '../../site/fields.js';

const sizer = await createSizer();
const base = { train: { task: 'train', model: 'meta-llama/Llama-3.1-8B', gpu: 'h100-sxm-80gb', method: 'qlora' },
  infer: { task: 'infer', model: 'meta-llama/Llama-3.1-8B', gpu: 'h100-sxm-80gb' } };
const refusal = (req) => { try { sizer.estimate(req); return null; } catch (e) { return e; } };

test('field ids (the URL keys) are unique and each view\'s request keys too', () => {
  const ids = FIELDS.map((f) => f.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const v of ['train', 'infer', 'recommend']) {
    const keys = FIELDS.filter((f) => f.v === v).map((f) => f.key ?? f.id);
    assert.equal(new Set(keys).size, keys.length, v);
  }
  for (const f of FIELDS) assert.ok(['view', 'config', 'lang', 'unit', 'embed'].every((k) => k !== f.id));
});

test('every option offered for a select is accepted by the core', () => {
  for (const f of FIELDS.filter((x) => x.t === 'select' && (x.v === 'train' || x.v === 'infer'))) {
    for (const o of f.o) {
      const req = structuredClone(base[f.v]);
      put(req, f.key ?? f.id, o);
      if (f.id === 'zero_stage' && o > 0) req.num_gpus = 2;
      if (f.id.startsWith('offload')) { req.num_gpus = 2; req.zero_stage = 3; }
      const e = refusal(req);
      assert.ok(!e || e.code !== 'invalid_value', `${f.id}=${o}: ${e?.message}`);
    }
  }
});

test('every value the core accepts is offered (its error lists them)', () => {
  for (const f of FIELDS.filter((x) => x.t === 'select' && typeof x.o[0] === 'string' && (x.v === 'train' || x.v === 'infer'))) {
    const req = structuredClone(base[f.v]);
    put(req, f.key ?? f.id, 'no-such-value');
    const e = refusal(req);
    if (!e) {   // an open-ended field (framework): the core warns about values it has no profile for
      for (const o of f.o) {
        const q = structuredClone(base[f.v]);
        put(q, f.key ?? f.id, o);
        assert.deepEqual(sizer.estimate(q).warnings.filter((w) => w.includes(`"${o}"`)), [], `${f.id}=${o}`);
      }
      continue;
    }
    assert.equal(e.code, 'invalid_value', f.id);
    const allowed = [...e.message.split('allowed:')[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    // Spellings that mean the same thing as an offered value are not repeated in the menu.
    const synonyms = { dtype: ['bf16', 'fp16', 'half', 'fp32'], precision: ['bf16-true', 'bf16-mixed', 'fp16-mixed', '32-true'] }[f.id] ?? [];
    for (const a of allowed) assert.ok(f.o.includes(a) || synonyms.includes(a), `${f.id}: "${a}" is accepted by the core but not offered`);
  }
});

test('the defaults of each view form a request the core answers', () => {
  for (const v of ['train', 'infer']) {
    const req = { task: v, model: FIELDS.find((f) => f.id === 'model').d, gpu: FIELDS.find((f) => f.id === 'gpu').d };
    for (const f of FIELDS.filter((x) => x.v === v && x.d !== null && (!x.show || x.show(Object.fromEntries(FIELDS.map((y) => [y.id, y.d]))))))
      put(req, f.key ?? f.id, f.d);
    const r = sizer.estimate(req);
    assert.ok(r.per_gpu.total_bytes > 0, v);
    assert.ok(SWEEPS[v].seq in req && SWEEPS[v].batch in req, `${v}: the swept keys have defaults`);
  }
});

test('every field shows its ecosystem name, except the page\'s own recommendation settings', () => {
  for (const f of FIELDS) if (f.v !== 'recommend') assert.ok(f.eco, f.id);
});
