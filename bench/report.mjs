// Prints bench/run.sh's results as markdown tables, each figure beside its budget
// (DESIGN.md "Budgets"). Never fails on a timing.   node bench/report.mjs RESULTS_DIR
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const load = (name) => {
  const p = join(dir, name);
  if (!existsSync(p)) return { unavailable: 'not run' };
  try { return JSON.parse(readFileSync(p, 'utf8')); } catch (e) { return { unavailable: String(e) }; }
};
const machine = load('machine.json');
const native = { benchmarks: readdirSync(dir).filter((f) => /^native-\d+\.json$/.test(f)).flatMap((f) => load(f).benchmarks ?? []) };
const node = load('node.json');
const page = load('page.json');
const sizes = load('sizes.json');

const BUDGET = { nativeEstimateUs: 5, wasmEstimateUs: 20, sweepMs: 50, firstResultMs: 300, gzipBytes: 250_000 };

// Google Benchmark aggregates by run name: {median, iqr, cpu_median, label}.
const nat = {};
for (const b of native.benchmarks ?? []) {
  const r = (nat[b.run_name] ??= {});
  if (b.aggregate_name === 'median') { r.median = b.real_time; r.cpu = b.cpu_time; r.label = b.label ?? ''; }
  if (b.aggregate_name === 'iqr') r.iqr = b.real_time;
  if (b.aggregate_name === 'mean' && r.reps === undefined) r.reps = b.repetitions;
}
const firstCall = (key) => {
  const p = join(dir, `first-call-${key}.jsonl`);
  if (!existsSync(p)) return null;
  const rows = readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = (s.length - 1) / 2; return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2; };
  if (!rows.length) return null;
  return { runs: rows.length, catalog_us: med(rows.map((r) => r.catalog_us)), first_call_us: med(rows.map((r) => r.first_call_us)),
           not_ok: rows.filter((r) => !r.ok).length };
};

const us = (x) => (x == null ? '–' : x >= 1e6 ? `${(x / 1e6).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(x >= 10000 ? 1 : 2)} ms` : `${x.toFixed(x >= 100 ? 0 : 1)} µs`);
const kb = (b) => (b == null ? '–' : `${(b / 1000).toFixed(1)} kB`);
const verdict = (value, budget) => (value == null ? '–' : value <= budget ? 'within' : `**over ×${(value / budget).toFixed(1)}**`);
const cell = (r) => (r && r.median != null ? `${us(r.median)} ± ${us(r.iqr)}` : '–');
const label = (r) => (r?.label === 'not_implemented' ? ' (not implemented yet)' : r?.label ? ` (answer: ${r.label})` : '');
const nodeRow = (k) => node.rows?.[k] ? { median: node.rows[k].median_us, iqr: node.rows[k].iqr_us, label: node.rows[k].label } : null;

const lines = [];
const out = (s = '') => lines.push(s);
out(`Measured ${machine.date} on ${machine.nproc} × ${machine.cpu} (load average ${machine.load} at start; the machine is shared), `
  + `Linux ${machine.kernel}; ${machine.cxx}; node ${machine.node}; ${machine.emcc}; ${machine.chromium}; commit ${machine.commit}`
  + `${machine.quick ? '; **--quick** (few repetitions)' : ''}.`);
out('Times are medians ± interquartile range over repetitions (native: Google Benchmark; node: samples of many calls each).');
out();
out('### Per call');
out();
out('| call | native | budget | JS API under node (wasm) | budget |');
out('|---|---|---|---|---|');
const perCall = [
  ['one training estimate (Llama-3.1-8B LoRA, preset)', 'estimate/train', BUDGET.nativeEstimateUs, BUDGET.wasmEstimateUs],
  ['one inference estimate (Llama-3.1-8B vLLM, preset)', 'estimate/infer', BUDGET.nativeEstimateUs, BUDGET.wasmEstimateUs],
  ['one inference estimate, pasted config.json', 'estimate/infer-config', BUDGET.nativeEstimateUs, BUDGET.wasmEstimateUs],
  ['recommendation sweep, inference (all GPUs × counts ≤ 64 × layouts, 70B)', 'sweep/infer', BUDGET.sweepMs * 1000, BUDGET.sweepMs * 1000],
  ['recommendation sweep, training (all GPUs × counts ≤ 64 × ZeRO 1–3, 70B)', 'sweep/train', BUDGET.sweepMs * 1000, BUDGET.sweepMs * 1000],
  ['models_json (preset listing)', 'listing/models_json', null, null],
  ['gpus_json (GPU catalog listing)', 'listing/gpus_json', null, null],
];
for (const [what, key, nb, wb] of perCall) {
  const n = nat[key];
  const w = nodeRow(key);
  out(`| ${what}${label(n) || label(w)} | ${cell(n)} | ${nb ? `≤ ${us(nb)}: ${verdict(n?.median, nb)}` : ''} | ${cell(w)} | ${wb ? `≤ ${us(wb)}: ${verdict(w?.median, wb)}` : ''} |`);
}
if (node.rows) {
  out();
  out('The JS API wraps the core in JSON.stringify/JSON.parse; the core alone through Embind (string in, string out):');
  out();
  out('| call | wasm core, strings | JS API, objects | JS share |');
  out('|---|---|---|---|');
  for (const k of ['train', 'infer', 'infer-config']) {
    const c = nodeRow(`core-strings/${k}`), a = nodeRow(`estimate/${k}`);
    out(`| estimate/${k} | ${cell(c)} | ${cell(a)} | ${c && a ? `${Math.round(100 * (1 - c.median / a.median))} %` : '–'} |`);
  }
}
out();
out('### Cold start');
out();
const fc = firstCall('estimate_infer');
const fs = firstCall('sweep_infer');
out('| what | median |');
out('|---|---|');
if (fc) out(`| native, fresh process: catalog parse (gpu-data + model-data, on first use) | ${us(fc.catalog_us)} (${fc.runs} runs) |`);
if (fc) out(`| native, fresh process: first estimate after it | ${us(fc.first_call_us)}${fc.not_ok ? ` (**${fc.not_ok} of ${fc.runs} answers not ok**)` : ''} |`);
if (fs) out(`| native, fresh process: first sweep after it | ${us(fs.first_call_us)}${fs.not_ok ? ` (**${fs.not_ok} of ${fs.runs} answers not ok**)` : ''} |`);
if (node.cold) out(`| node, fresh process: import + instantiate wasm + createSizer() | ${us(node.cold.load_ms * 1000)} (${node.cold.runs} runs) |`);
if (node.cold) out(`| node, fresh process: first estimate (catalog parse inside) | ${us(node.cold.first_call_ms * 1000)} |`);
out();
out('### Page (headless Chromium, loopback, fresh profile per run)');
out();
if (page.unavailable) {
  out(`Not measured: ${page.unavailable}.`);
} else {
  const fr = page.first_result_ms;
  out('| what | value | budget |');
  out('|---|---|---|');
  out(`| navigation → first result on screen (median of ${page.runs}; min–max ${fr.min.toFixed(0)}–${fr.max.toFixed(0)} ms) | ${fr.median.toFixed(0)} ms | ≤ ${BUDGET.firstResultMs} ms: ${verdict(fr.median, BUDGET.firstResultMs)} |`);
  out(`| … HTML received / DOMContentLoaded / wasm received | ${page.html_ms?.toFixed(0)} / ${page.dom_content_loaded_ms?.toFixed(0)} / ${page.wasm_ms?.toFixed(0) ?? '–'} ms | |`);
  out(`| bytes: every response the page loaded, gzip -9 each (${page.page_files.length} files; raw ${kb(page.page_bytes_raw)}) | ${kb(page.page_bytes_gzip9)} | ≤ ${kb(BUDGET.gzipBytes)}: ${verdict(page.page_bytes_gzip9, BUDGET.gzipBytes)} |`);
  if (page.server_sent_bytes != null)
    out(`| bytes the server sent during the visit (${page.server_responses} responses, service-worker precache included) | ${kb(page.server_sent_bytes)} | |`);
  if (page.external_requests?.length) out(`| requests leaving loopback | ${page.external_requests.length} | 0 |`);
  out();
  out(`Largest: ${page.page_files.slice(0, 6).map((f) => `${f.path} ${kb(f.gzip9)}`).join(', ')}.`);
  if (page.waterfall_of_median_run?.length) {
    out();
    out(`Requests of the median run (ms from navigation, start–end): ${page.waterfall_of_median_run
      .map((w) => `${w.path} ${w.start_ms}–${w.end_ms}`).join(', ')}.`);
  }
}
out();
out('### Sizes');
out();
if (sizes.unavailable) out(`Not measured: ${sizes.unavailable}.`);
else {
  out('| file | raw | gzip -9 |');
  out('|---|---|---|');
  let raw = 0, gz = 0;
  for (const [f, s] of Object.entries(sizes)) { out(`| ${f} | ${kb(s.raw)} | ${kb(s.gzip9)} |`); raw += s.raw; gz += s.gzip9; }
  out(`| together | ${kb(raw)} | ${kb(gz)} |`);
}
out();
out('### How one call grows (native)');
out();
out('Slope = log(cost ratio) / log(size ratio) from the smallest to the largest size: 0 is flat, 1 is linear.');
const series = {};
for (const [name, r] of Object.entries(nat)) {
  const m = /^scale\/([^/]+)\/([^/]+)\/(\d+)$/.exec(name);
  if (m) (series[`${m[1]} — ${m[2]}`] ??= []).push({ x: Number(m[3]), ...r });
}
const titles = { depth: 'num_hidden_layers (pasted config)', batch: 'batch (micro_batch_size / batch_size)',
                 num_gpus: 'num_gpus (one estimate, ZeRO-3)', max_num_gpus: 'max_num_gpus (sweep)', catalog: 'GPUs in the sweep (candidates)' };
const order = ['depth', 'batch', 'num_gpus', 'max_num_gpus', 'catalog'];
const rank = (k) => order.indexOf(k.split(' — ')[0]) * 10 + (k.endsWith('infer') ? 1 : 0);
for (const [key, rows] of Object.entries(series).sort((a, b) => rank(a[0]) - rank(b[0]))) {
  rows.sort((a, b) => a.x - b.x);
  const [dim, kind] = key.split(' — ');
  const a = rows[0], z = rows[rows.length - 1];
  const slope = Math.log(z.median / a.median) / Math.log(z.x / a.x);
  const shape = Math.abs(slope) < 0.15 ? 'flat' : slope < 0.85 ? 'sublinear' : slope <= 1.15 ? 'linear' : '**superlinear**';
  out();
  out(`${titles[dim] ?? dim}, ${kind}: slope ${slope.toFixed(2)} (${shape})`);
  out();
  out(`| ${dim} | ${rows.map((r) => r.x).join(' | ')} |`);
  out(`|---|${rows.map(() => '---').join('|')}|`);
  out(`| median | ${rows.map((r) => us(r.median)).join(' | ')} |`);
  out(`| × smallest | ${rows.map((r) => (r.median / a.median).toFixed(2)).join(' | ')} |`);
}
console.log(lines.join('\n'));
