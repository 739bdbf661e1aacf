// Timings through the JS API under node (the wasm module from dist/): per call of
// sizer.estimate()/sizer.recommend() with objects in and out, the core's own string calls (to
// split wasm time from JSON.stringify/parse in JS), and a cold start (createSizer() + first
// estimate) in fresh node processes. Prints one JSON object.
//   node bench/bench_node.mjs DIST REQUESTS.json [--quick]
//   node bench/bench_node.mjs DIST REQUESTS.json --cold KEY   (one cold start; used internally)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [dist, requestsPath] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const requests = JSON.parse(readFileSync(requestsPath, 'utf8'));
const apiUrl = pathToFileURL(resolve(join(dist, 'llm-sizer.js'))).href;
const coreUrl = pathToFileURL(resolve(join(dist, 'llm-sizer-core.mjs'))).href;

const coldIndex = process.argv.indexOf('--cold');
if (coldIndex >= 0) {
  const key = process.argv[coldIndex + 1];
  const t0 = performance.now();
  const { default: createSizer } = await import(apiUrl);
  const sizer = await createSizer();
  const t1 = performance.now();
  sizer.estimate(requests[key]);
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ load_ms: t1 - t0, first_call_ms: t2 - t1 }));
  process.exit(0);
}

function quantile(sorted, p) {
  const pos = p * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

// Warm-up, then `samples` samples of `iters` calls each (iters chosen so that one sample takes
// about `sampleMs`); per-call time of each sample in µs; median and interquartile range.
function measure(fn, { samples = quick ? 15 : 60, sampleMs = quick ? 3 : 10, warmupMs = quick ? 100 : 500 } = {}) {
  let label = '';
  try { fn(); } catch (e) { label = e.code ?? String(e); }
  const call = () => { try { fn(); } catch { /* timed all the same; labelled above */ } };
  const warmEnd = performance.now() + warmupMs;
  let calls = 0;
  while (performance.now() < warmEnd) { call(); calls++; }
  const iters = Math.max(1, Math.round((calls / warmupMs) * sampleMs));
  const perCall = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) call();
    perCall.push(((performance.now() - t0) * 1000) / iters);
  }
  perCall.sort((a, b) => a - b);
  return { median_us: quantile(perCall, 0.5), iqr_us: quantile(perCall, 0.75) - quantile(perCall, 0.25),
           min_us: perCall[0], samples, iters, label };
}

const { default: createSizer } = await import(apiUrl);
const sizer = await createSizer();
const { default: createCore } = await import(coreUrl);
const core = await createCore({ wasmBinary: readFileSync(join(dist, 'llm-sizer-core.wasm')) });
const text = (k) => JSON.stringify(requests[k]);

const out = { node: process.version, rows: {} };
const rows = out.rows;
rows['estimate/train'] = measure(() => sizer.estimate(requests.estimate_train));
rows['estimate/infer'] = measure(() => sizer.estimate(requests.estimate_infer));
rows['estimate/infer-config'] = measure(() => sizer.estimate(requests.estimate_config));
for (const k of ['estimate_train', 'estimate_infer', 'estimate_config']) {
  const t = text(k);
  rows[`core-strings/${k.replace('estimate_', '').replace('config', 'infer-config')}`] = measure(() => core.estimate(t));
}
const sweepOpts = { samples: quick ? 5 : 20, sampleMs: quick ? 20 : 50, warmupMs: quick ? 100 : 500 };
rows['sweep/infer'] = measure(() => sizer.recommend(requests.sweep_infer), sweepOpts);
rows['sweep/train'] = measure(() => sizer.recommend(requests.sweep_train), sweepOpts);
rows['listing/models_json'] = measure(() => core.models(), sweepOpts);
rows['listing/gpus_json'] = measure(() => core.gpus(), sweepOpts);

// Cold: a fresh node process per run (module import + wasm instantiate + catalog parse + call).
const self = fileURLToPath(import.meta.url);
const cold = [];
for (let i = 0; i < (quick ? 3 : 10); i++) {
  cold.push(JSON.parse(execFileSync(process.execPath, [self, dist, requestsPath, '--cold', 'estimate_infer'], { encoding: 'utf8' })));
}
const med = (xs) => quantile([...xs].sort((a, b) => a - b), 0.5);
out.cold = { runs: cold.length, load_ms: med(cold.map((c) => c.load_ms)), first_call_ms: med(cold.map((c) => c.first_call_ms)) };
process.stdout.write(`${JSON.stringify(out)}\n`);
