// The page: holds the inputs (in the URL and in localStorage), turns them into a request, asks
// the wasm core and hands the answer to view.js. Every number comes from sizer.estimate or
// sizer.recommend; the charts and the GPU count are the core asked again with other inputs.
import createSizer from './llm-sizer.js';
import { FIELDS, BY_ID, SWEEPS, SEQ_POINTS, BATCH_POINTS, put } from './fields.js';
import { t, has, setLang, getLang, pickLang } from './i18n.js';
import * as F from './format.js';
import { h } from './ui.js';
import { renderResult, renderChart, renderOptions, hideTip } from './view.js';
import config from './config.js';

const $ = (s) => document.querySelector(s);
const root = document.documentElement;
const params = new URLSearchParams(location.search);
const embed = params.has('embed');   // an iframe in someone's docs: leave the visitor's own saved state alone
const store = embed ? null : (() => { try { localStorage.setItem('llm-sizer:probe', '1'); return localStorage; } catch { return null; } })();
const VIEWS = ['train', 'infer', 'recommend'];
const GROUPS = { train: ['basics', 'peft', 'savers', 'parallel'], infer: ['basics', 'engine'], recommend: ['basics', 'targets'] };
const NEED_COUNTS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

// ---- State: the view, every field's value, an imported config.json.
const S = { view: 'train', v: {}, config: null };
const key = (f) => f.key ?? f.id;
const shown = (f) => !f.show || f.show(S.v);

function encode() {
  const p = new URLSearchParams();
  if (S.view !== 'train') p.set('view', S.view);
  for (const f of FIELDS) if (S.v[f.id] !== f.d) p.set(f.id, S.v[f.id] ?? '');
  if (S.config) p.set('config', JSON.stringify(S.config));
  return p.toString();
}
function decode(text) {
  const p = new URLSearchParams(text);
  S.view = VIEWS.includes(p.get('view')) ? p.get('view') : 'train';
  for (const f of FIELDS) S.v[f.id] = p.has(f.id) ? parse(f, p.get(f.id)) : f.d;
  try { S.config = p.has('config') ? JSON.parse(p.get('config')) : null; } catch { S.config = null; }
}
function parse(f, raw) {
  if (f.t === 'bool') return raw === 'true';
  if (raw === '' && f.d === null) return null;
  const numeric = f.t === 'int' || f.t === 'num' || typeof f.d === 'number' || typeof f.o?.[0] === 'number';
  return numeric && raw !== '' && isFinite(raw) ? Number(raw) : raw;
}
function save() {
  const s = encode();
  history.replaceState(null, '', `${location.pathname}${location.search}${s ? `#${s}` : ''}`);
  store?.setItem('llm-sizer:state', s);
  $('[data-testid="open-full"]')?.setAttribute('href', `./#${s}`);
}

// ---- Requests, built from the state alone.
function gpu() {
  if (S.v.gpu !== 'custom') return S.v.gpu;
  const g = { name: 'custom', memory_bytes: F.gibToBytes(S.v.gpu_mem_gib), memory_bandwidth_bytes_per_s: F.giga(S.v.gpu_bw_gbs), dense_bf16_flops: F.tera(S.v.gpu_tflops) };
  if (S.v.gpu_usd_h != null) g.price = { usd_per_gpu_hour: S.v.gpu_usd_h };
  return g;
}
function value(f) {
  const v = S.v[f.id];
  if (f.t === 'list' || f.t === 'gpus') return v === 'all-linear' || v === 'all' ? v : String(v).split(',').map((x) => x.trim()).filter(Boolean);
  return v;
}
function request(task) {
  if (task === 'recommend') {
    const r = { ...request(S.v.job), task: 'recommend', job: S.v.job };
    for (const f of FIELDS) if (f.v === 'recommend' && f.id !== 'job' && S.v[f.id] != null) put(r, key(f), value(f));
    return r;
  }
  const r = { task, model: S.config ?? S.v.model, gpu: gpu() };
  for (const f of FIELDS) if (f.v === task && shown(f) && S.v[f.id] != null && S.v[f.id] !== '') put(r, key(f), value(f));
  return r;
}

// ---- The form, built from fields.js.
let sizer;
let models = [];
let gpus = [];

function control(f) {
  const a = { id: `f-${f.id}`, name: f.id, 'aria-describedby': `h-${f.id} e-${f.id}`, 'data-testid': `input-${f.id}` };
  const v = S.v[f.id];
  switch (f.t) {
    case 'select': return h('select', a, f.o.map((o) => h('option', { value: o, selected: o === v, text: has(`o.${f.id}.${o}`) ? t(`o.${f.id}.${o}`) : String(o) })));
    case 'bool': return h('input', { ...a, type: 'checkbox', checked: v === true });
    case 'model': return h('input', { ...a, type: 'search', list: 'models', value: v, placeholder: t('model.search'), autocomplete: 'off', spellcheck: 'false' });
    case 'gpu': {
      const groups = Map.groupBy ? Map.groupBy(gpus, (g) => g.vendor) : gpus.reduce((m, g) => m.set(g.vendor, [...(m.get(g.vendor) ?? []), g]), new Map());
      return h('select', a, [...groups].map(([vendor, list]) => h('optgroup', { label: vendor.toUpperCase() },
        list.map((g) => h('option', { value: g.id, selected: g.id === v, text: g.name })))), h('option', { value: 'custom', selected: v === 'custom', text: t('gpu.custom') }));
    }
    case 'gpus': return h('select', { ...a, multiple: true, size: 6 }, gpus.map((g) => h('option', { value: g.id, selected: String(v).split(',').includes(g.id), text: g.name })));
    case 'list': return h('input', { ...a, type: 'text', value: v ?? '', spellcheck: 'false' });
    default: return h('input', { ...a, type: 'number', inputmode: f.t === 'int' ? 'numeric' : 'decimal', min: f.min, max: f.max, step: f.step ?? (f.t === 'int' ? 1 : 'any'), value: v ?? '', placeholder: f.d === null ? t('auto') : null });
  }
}
function field(f) {
  const c = control(f);
  return h('div', { class: `field ${f.t === 'bool' ? 'check' : ''}`, 'data-field': f.id, hidden: !shown(f) },
    h('label', { for: c.id, text: t(`f.${f.id}`) }), c,
    h('small', { id: `h-${f.id}` }, has(`h.${f.id}`) ? `${t(`h.${f.id}`)} ` : '', f.eco && h('code', { text: f.eco })),
    h('p', { class: 'err', id: `e-${f.id}`, 'data-testid': `error-${f.id}`, role: 'alert', hidden: true }),
    f.t === 'model' && h('p', { class: 'muted', id: 'model-info', 'data-testid': 'model-info' }),
    f.t === 'gpu' && h('p', { class: 'muted', id: 'gpu-info', 'data-testid': 'gpu-info' }));
}
function group(view, g, open) {
  const list = FIELDS.filter((f) => f.v === view && (f.g ?? 'basics') === g).map(field);
  return h('details', { class: 'group', open, 'data-group': g }, h('summary', { text: t(view === 'recommend' && g === 'basics' ? 'tab.recommend' : `g.${g}`) }), ...list);
}
function buildForm() {
  const common = h('fieldset', { class: 'group common' }, h('legend', { text: t('g.common') }),
    ...FIELDS.filter((f) => !f.v).map(field), importer());
  const panels = VIEWS.map((v) => h('div', { role: 'tabpanel', id: `panel-${v}`, 'aria-labelledby': `tab-${v}`, hidden: v !== S.view },
    v === 'recommend' && h('p', { class: 'muted', 'data-testid': 'recommend-uses', text: t('rec.uses', { job: t(`tab.${S.v.job}`) }) }),
    ...GROUPS[v].map((g, i) => group(v, g, i === 0 || v !== 'train' || g === 'peft'))));
  $('#form').replaceChildren(common, ...panels);
  infoLines();
}

// config.json import: paste, file, or (only when the button is pressed) the Hugging Face Hub.
function importer() {
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'import-status' });
  const say = (k, p) => { status.textContent = t(k, p); };
  const use = (text) => {
    let c;
    try { c = JSON.parse(text); } catch (e) { return say('model.badJson', { msg: e.message }); }
    if (!c || typeof c !== 'object' || Array.isArray(c)) return say('model.notObject');
    S.config = c;
    status.textContent = '';
    rebuild();
  };
  const area = h('textarea', { id: 'f-config', rows: 5, spellcheck: 'false', 'data-testid': 'config-paste', placeholder: '{"model_type": "llama", "num_hidden_layers": 32, …}' });
  const hubId = h('input', { id: 'f-hub-id', type: 'text', placeholder: 'Qwen/Qwen2.5-7B', spellcheck: 'false', 'data-testid': 'hub-id', value: typeof S.v.model === 'string' ? S.v.model : '' });
  const host = h('select', { id: 'f-hub-host', 'aria-label': t('model.host'), 'data-testid': 'hub-host' },
    config.hubs.map((x, i) => h('option', { value: x, text: x, selected: getLang() === 'zh' ? i === 1 : i === 0 })));
  const fetchHub = async () => {
    const id = hubId.value.trim();
    if (!/^[\w.-]+\/[\w.-]+$/.test(id)) return say('model.badId');
    const url = `https://${host.value}/${id}/resolve/main/config.json`;
    say('model.fetching', { url });
    try {
      const res = await fetch(url, { credentials: 'omit', referrerPolicy: 'no-referrer' });
      if (res.status === 401 || res.status === 403) return say('model.gated', { status: res.status });
      if (!res.ok) return say('model.fetchFail', { url, msg: `HTTP ${res.status}` });
      use(await res.text());
    } catch (e) { say('model.fetchFail', { url, msg: e.message }); }
  };
  const using = S.config && h('div', { class: 'using', 'data-testid': 'config-in-use' },
    h('span', { text: t('model.using', { name: String(S.config._name_or_path ?? S.config.model_type ?? 'config.json') }) }),
    h('button', { type: 'button', 'data-testid': 'config-clear', text: t('model.clear'), onclick: () => { S.config = null; rebuild(); } }));
  return h('div', null, using, h('details', { class: 'import', 'data-testid': 'import' }, h('summary', { text: t('model.import') }),
    h('label', { for: 'f-config', text: t('model.paste') }), area,
    h('button', { type: 'button', 'data-testid': 'config-use', text: t('model.use'), onclick: () => use(area.value) }),
    h('label', { for: 'f-config-file', text: t('model.file') }),
    h('input', { id: 'f-config-file', type: 'file', accept: '.json,application/json', 'data-testid': 'config-file', onchange: async (e) => { const file = e.target.files[0]; if (file) use(await file.text()); } }),
    h('label', { for: 'f-hub-id', text: t('model.hfId') }), h('div', { class: 'row' }, hubId, host),
    h('button', { type: 'button', 'data-testid': 'hub-fetch', text: t('model.fetch'), onclick: fetchHub }),
    h('small', { text: t('model.hfNote') }), status));
}

function infoLines() {
  const m = models.find((x) => x.id === S.v.model);
  const mi = $('#model-info');
  if (mi) mi.textContent = m && !S.config ? t('model.info', { params: F.count(m.params, true), layers: m.num_hidden_layers, type: m.model_type }) + ` · ${m.name}` : '';
  const g = gpus.find((x) => x.id === S.v.gpu);
  const gi = $('#gpu-info');
  if (gi) gi.textContent = g ? t('gpu.info', { mem: F.bytes(g.memory_bytes), bw: F.bytes(g.memory_bandwidth_bytes_per_s, 'GB'), tflops: F.count((g.dense_bf16_flops ?? 0) / 1e12) })
    + (g.price?.usd_per_gpu_hour ? t('gpu.price', { usd: F.usd(g.price.usd_per_gpu_hour) }) : '') : '';
}

function onInput(e) {
  const f = BY_ID[e.target.name];
  if (!f) return;
  const el = e.target;
  let v = f.t === 'bool' ? el.checked : f.t === 'gpus' ? [...el.selectedOptions].map((o) => o.value).join(',') || 'all' : parse(f, el.value);
  if (f.t === 'model' && e.type === 'input' && !models.some((m) => m.id === v)) return;   // commit on pick, Enter or blur
  if ((f.t === 'int' || f.t === 'num') && el.value === '' && f.d !== null) v = f.d;
  S.v[f.id] = v;
  if (f.t === 'model') S.config = null;
  for (const x of FIELDS) { const box = document.querySelector(`[data-field="${CSS.escape(x.id)}"]`); if (box) box.hidden = !shown(x); }
  if (f.id === 'job' || (f.t === 'model' && e.type === 'change')) return rebuild();
  infoLines();
  schedule();
}

// ---- Asking the core.
let pending = 0;
const schedule = () => { cancelAnimationFrame(pending); pending = requestAnimationFrame(update); };

function mark(path, message) {
  for (const el of document.querySelectorAll('.err')) { el.hidden = true; el.textContent = ''; }
  for (const el of document.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (path == null) return null;
  const task = S.view === 'recommend' ? S.v.job : S.view;
  const parts = path.split('/').filter(Boolean);
  let f;
  for (let n = parts.length; n > 0 && !f; n--) f = FIELDS.find((x) => key(x) === parts.slice(0, n).join('.') && (!x.v || x.v === task || x.v === S.view));
  f ??= FIELDS.find((x) => parts[0] && key(x).startsWith(`${parts[0]}.`) && x.v === task);
  const box = f && $(`#e-${CSS.escape(f.id)}`);
  if (box) {
    box.textContent = message;
    box.hidden = false;
    $(`#f-${CSS.escape(f.id)}`)?.setAttribute('aria-invalid', 'true');
  }
  return f;
}

function estimate(req) { try { return sizer.estimate(req); } catch { return null; } }

/** The smallest power-of-two GPU count at which the core says the job fits (ZeRO-3 or TP). */
function gpusNeeded(req, r) {
  const task = req.task;
  const have = req.num_gpus ?? (task === 'infer' ? (req.tensor_parallel_size ?? 1) * (req.pipeline_parallel_size ?? 1) : 1);
  if (r.fits) return { n: have, task, fits: true };
  for (const n of NEED_COUNTS) {
    if (n <= have) continue;
    const q = { ...req, num_gpus: n };
    if (task === 'train') { q.zero_stage = req.zero_stage > 0 ? req.zero_stage : 3; if (q.parallel) q.parallel = { ...q.parallel, dp: undefined }; }
    else { q.tensor_parallel_size = n; q.num_gpus = n * (req.pipeline_parallel_size ?? 1); }
    if (estimate(q)?.fits) return { n, task, zero: q.zero_stage };
  }
  return { n: null, max: NEED_COUNTS.at(-1) };
}

let first = true;
let last = null;
function update() {
  hideTip();
  const out = $('#results');
  const req = request(S.view);
  save();
  if (S.view === 'recommend') {
    $('#summary').hidden = true;
    let body;
    try {
      body = renderOptions(sizer.recommend(req).options, applyOption);
      mark(null);
    } catch (e) {
      const f = mark(e.path, e.message);
      body = [h('p', { class: e.code === 'not_implemented' ? 'note' : 'error', 'data-testid': 'recommend-message',
        text: e.code === 'not_implemented' ? t('rec.notImpl', { msg: e.message }) : `${t('r.error')}: ${e.message}${f ? '' : ` (${e.path})`}` })];
    }
    out.replaceChildren(...body, requestBox(req));
    return done();
  }
  let r;
  try { r = sizer.estimate(req); } catch (e) {
    last = null;
    $('#summary').hidden = true;
    const f = mark(e.path ?? '', e.message);
    out.replaceChildren(h('p', { class: 'error', 'data-testid': 'result-error' }, `${t('r.error')}: ${e.message}${f ? ' ' : ` (${e.path || '/'})`}`,
      f && h('button', { type: 'button', text: t('r.toField'), onclick: () => $(`#f-${CSS.escape(f.id)}`)?.focus() })), requestBox(req));
    return done();
  }
  mark(null);
  last = r;
  if (S.config) {   // keep shared links short: drop the config keys the core said it ignores
    for (const w of r.warnings) { const m = /^unknown key \/model\/([^/ ]+) was ignored/.exec(w); if (m && m[1] !== '_name_or_path') delete S.config[m[1].replace(/~1/g, '/').replace(/~0/g, '~')]; }
    save();
  }
  $('#summary').hidden = false;
  $('#summary').replaceChildren(h('span', { text: t('r.perGpu') }), h('strong', { text: F.bytes(r.per_gpu.total_bytes) }),
    h('span', { class: r.fits ? 'fit yes' : 'fit no', text: r.fits ? `✓ ${t('r.fits')}` : `✗ ${t('r.nofit')}` }));
  const ctx = { gpuName: r.gpu?.name ?? (S.v.gpu === 'custom' ? t('gpu.custom') : S.v.gpu), need: gpusNeeded(req, r), docs: config.docs };
  out.replaceChildren(...[...renderResult(r, ctx), share(r), requestBox(req), support()].filter(Boolean));
  done();
  setTimeout(() => charts(req, r), 0);
}
/** Puts a recommended GPU, count and layout into the job's own tab and shows its estimate. */
function applyOption(o) {
  const l = o.layout ?? {};
  S.v.gpu = o.gpu;
  if (S.v.job === 'train') {
    Object.assign(S.v, { num_gpus: o.num_gpus, zero_stage: l.zero_stage ?? 0, 'parallel.tp': l.tp ?? null, 'parallel.pp': l.pp ?? null, 'parallel.dp': l.dp ?? null });
  } else {
    Object.assign(S.v, { infer_num_gpus: o.num_gpus, tensor_parallel_size: l.tp ?? 1, pipeline_parallel_size: l.pp ?? 1 });
  }
  S.view = S.v.job;
  for (const x of VIEWS) $(`#panel-${x}`).hidden = x !== S.view;
  rebuild();
}

function done() {
  if (first) {
    first = false;
    performance.mark('llm-sizer:first-result');
    root.dataset.ready = '1';
    if ('serviceWorker' in navigator && location.protocol !== 'file:') {
      const go = () => navigator.serviceWorker.register(`sw.js?lang=${getLang()}`).catch(() => {});
      document.readyState === 'complete' ? go() : addEventListener('load', go);
    }
  }
}

function charts(req, r) {
  if (r !== last) return;
  const sweep = SWEEPS[req.task];
  for (const [which, points] of [['seq', SEQ_POINTS], ['batch', BATCH_POINTS]]) {
    const k = sweep[which];
    const current = req[k];
    const xs = [...new Set([...points, current].filter((x) => x > 0))].sort((a, b) => a - b);
    const box = document.querySelector(`[data-testid="chart-${which}"]`);
    if (!box) return;
    box.replaceChildren(...renderChart({ xs, answers: xs.map((x) => estimate({ ...req, [k]: x })), current, capacity: r.gpu?.memory_bytes },
      t(which === 'seq' ? 'r.chartSeq' : 'r.chartBatch', { key: t(`f.${k}`) })));
  }
}

function share(r) {
  const msg = h('span', { role: 'status', class: 'muted' });
  const file = new Blob([JSON.stringify(r, null, 2)], { type: 'application/json' });
  return h('p', { class: 'actions' },
    h('button', { type: 'button', 'data-testid': 'copy-link', text: t('r.copy'), onclick: async () => { try { await navigator.clipboard.writeText(location.href); msg.textContent = t('r.copied'); } catch { msg.textContent = location.href; } } }),
    h('a', { href: URL.createObjectURL(file), download: 'llm-sizer.json', 'data-testid': 'download-json', text: t('r.json') }), msg);
}
function requestBox(req) {
  const text = JSON.stringify(req);
  return h('details', { class: 'card', 'data-testid': 'request' }, h('summary', { text: t('r.request') }),
    h('pre', { text: JSON.stringify(req, null, 2) }), h('pre', { text: `echo '${text.replace(/'/g, "'\\''")}' | llm-sizer estimate -` }));
}
function support() {
  const s = config.support;
  if (!s) return null;
  const l = (x) => (typeof x === 'string' ? x : x?.[getLang()] ?? x?.en ?? '');
  return h('aside', { class: 'card support', 'data-testid': 'support-panel' }, h('h3', { text: l(s.title) }), s.text && h('p', { text: l(s.text) }),
    h('p', null, (s.links ?? []).filter((k) => /^https?:/.test(k.href)).map((k) => h('a', { href: k.href, target: '_blank', rel: 'noopener', text: l(k.label) }))));
}

// ---- Chrome: language, unit, theme, tabs; rebuilding everything on a language change.
function texts() {
  root.lang = getLang() === 'zh' ? 'zh-CN' : 'en';
  F.setLocale(root.lang);
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('[data-testid="lang-toggle"]').setAttribute('aria-label', t('ui.langName'));
  $('[data-testid="theme-toggle"]').textContent = `${t('ui.theme')}: ${t(`theme.${root.dataset.theme ?? 'auto'}`)}`;
  $('[data-testid="unit-toggle"]').textContent = F.getUnit();
  document.title = `llm-sizer — ${t('ui.tagline').split(/[—：:]/)[0].trim()}`;
  for (const v of VIEWS) {
    const tab = $(`#tab-${v}`);
    tab.setAttribute('aria-selected', String(v === S.view));
    tab.tabIndex = v === S.view ? 0 : -1;
  }
}
function rebuild() {
  texts();
  buildForm();
  update();
}
function setView(v, focus) {
  S.view = v;
  for (const x of VIEWS) $(`#panel-${x}`).hidden = x !== v;
  texts();
  if (focus) $(`#tab-${v}`).focus();
  update();
}

function wire() {
  const form = $('#form');
  form.addEventListener('input', onInput);
  form.addEventListener('change', onInput);
  form.addEventListener('submit', (e) => e.preventDefault());
  $('[role="tablist"]').addEventListener('click', (e) => { const v = e.target.closest('[role="tab"]')?.dataset.view; if (v) setView(v); });
  $('[role="tablist"]').addEventListener('keydown', (e) => {
    const i = VIEWS.indexOf(S.view);
    const j = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: VIEWS.length - 1 }[e.key];
    if (j == null) return;
    e.preventDefault();
    setView(VIEWS[(j + VIEWS.length) % VIEWS.length], true);
  });
  $('[data-testid="lang-toggle"]').addEventListener('click', async () => {
    await setLang(getLang() === 'zh' ? 'en' : 'zh');
    store?.setItem('llm-sizer:lang', getLang());
    rebuild();
  });
  $('[data-testid="unit-toggle"]').addEventListener('click', () => {
    F.setUnit(F.getUnit() === 'GiB' ? 'GB' : 'GiB');
    store?.setItem('llm-sizer:unit', F.getUnit());
    rebuild();
  });
  $('[data-testid="theme-toggle"]').addEventListener('click', () => {
    const next = { auto: 'light', light: 'dark', dark: 'auto' }[root.dataset.theme ?? 'auto'];
    if (next === 'auto') delete root.dataset.theme; else root.dataset.theme = next;
    store?.setItem('llm-sizer:theme', next);
    texts();
  });
  addEventListener('hashchange', () => { decode(location.hash.slice(1)); rebuild(); });
}

// ---- Start: language and state first, the wasm core in parallel.
if (embed) root.classList.add('embed');
const theme = store?.getItem('llm-sizer:theme');
if (theme === 'light' || theme === 'dark') root.dataset.theme = theme;
F.setUnit(params.get('unit') ?? store?.getItem('llm-sizer:unit'));
decode(location.hash.length > 1 ? location.hash.slice(1) : store?.getItem('llm-sizer:state') ?? '');
const core = createSizer();
const lang = params.get('lang') ?? store?.getItem('llm-sizer:lang') ?? pickLang(navigator.languages);
const strings = setLang(lang);
F.setLocale(lang === 'zh' ? 'zh-CN' : 'en');
F.count(1);   // the first Intl.NumberFormat loads ICU data (~20 ms): do it while the wasm compiles
[sizer] = await Promise.all([core, strings]);
wire();
texts();
update();   // the first result before the form: the form needs the catalogs, the result does not
setTimeout(() => {
  models = sizer.models();
  gpus = sizer.gpus();
  $('#models').replaceChildren(...models.map((m) => h('option', { value: m.id, label: `${m.name} · ${F.count(m.params, true)}` })));
  buildForm();
  if (!last) update();   // place a refused request's error next to its field
}, 0);
