// Draws what the core answered: the headline, the component table with its formula tips, the
// stacked bar, the three peaks, the KV cache, speed, the charts and the recommendation table.
// It reads the response and formats it; it computes no estimate.
import { h, stackedBar, areaChart } from './ui.js';
import * as F from './format.js';
import { t, has } from './i18n.js';

/** A string for `key`, else the response's own key made readable (kv_cache -> "Kv cache"). */
const label = (key, id) => (has(key) ? t(key) : id.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()));
export const cname = (id) => label(`c.${id}`, id);
const K = 10;   // colours in style.css (.k0 … .k9)
const sec = (id, title, ...kids) => h('section', { class: 'card', 'data-testid': id }, h('h3', { text: title }), ...kids);
const dl = (rows) => h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v, id, help]) =>
  h('div', null, h('dt', { text: k }), h('dd', { 'data-testid': id, text: v }), help && h('small', null, h('code', { text: help })))));

// ---- formula tip: after 1 s of hover, at once on focus or tap; Escape or leaving hides it.
let tip;
let timer;
function tipFor(c, anchor, docs) {
  tip ??= document.body.appendChild(h('div', { id: 'tip', role: 'tooltip', class: 'tip', 'data-testid': 'formula-tip', hidden: true }));
  const vals = Object.entries(c.values ?? {});
  const cell = (k, v) => (v && typeof v === 'object' ? h('td', null, dl(Object.entries(v).map(([k2, v2]) => [k2, F.byKey(k2, v2)]))) : h('td', { text: F.byKey(k, v) }));
  tip.replaceChildren(
    h('strong', { text: `${cname(c.id)} — ${F.bytes(c.bytes)}` }),
    c.explanation && h('p', { text: c.explanation }),
    h('p', { class: 'lbl', text: t('tip.formula') }), h('code', { text: c.formula }),
    vals.length && h('p', { class: 'lbl', text: t('tip.values') }),
    vals.length && h('table', null, vals.map(([k, v]) => h('tr', null, h('th', { text: k }), cell(k, v)))),
    h('p', { class: 'lbl', text: t('tip.source') }),
    h('p', null, docs && !c.source ? h('a', { href: `${docs}model.md`, target: '_blank', rel: 'noopener', text: t('tip.sourceDefault', { id: c.id }) })
      : c.source ?? t('tip.sourceDefault', { id: c.id })));
  tip.hidden = false;
  const r = anchor.getBoundingClientRect();
  tip.style.top = `${r.bottom + scrollY + 4}px`;
  tip.style.left = `${Math.max(4, Math.min(r.left + scrollX, scrollX + innerWidth - tip.offsetWidth - 8))}px`;
  anchor.setAttribute('aria-describedby', 'tip');
}
export function hideTip() {
  clearTimeout(timer);
  if (tip) tip.hidden = true;
  document.querySelector('[aria-describedby="tip"]')?.removeAttribute('aria-describedby');
}
addEventListener('keydown', (e) => { if (e.key === 'Escape') hideTip(); });

/** The whole answer for the training or inference view. ctx: {gpuName, need, request, docs} */
export function renderResult(r, ctx) {
  const pg = r.per_gpu;
  const cap = r.gpu?.memory_bytes;
  const parts = pg.components.map((c, k) => ({ ...c, k: k % K, title: `${cname(c.id)}: ${F.bytes(c.bytes)}` }));
  const rows = parts.map((c) => {
    const btn = h('button', { type: 'button', class: 'help', text: cname(c.id), onfocus: () => tipFor(c, btn, ctx.docs), onblur: hideTip, onclick: () => tipFor(c, btn, ctx.docs) });
    return h('tr', { 'data-testid': `component-${c.id}`, onmouseenter: () => { clearTimeout(timer); timer = setTimeout(() => tipFor(c, btn, ctx.docs), 1000); },
      onmouseleave: () => { if (document.activeElement !== btn) hideTip(); } },
    h('td', null, h('span', { class: `sw k${c.k}` }), btn),
    h('td', { class: 'num', text: F.bytes(c.bytes) }),
    h('td', { class: 'num', text: pg.total_bytes ? F.percent(c.bytes / pg.total_bytes) : '' }));
  });
  const need = ctx.need;
  const perf = Object.entries(r.performance ?? {});
  const figures = perf.filter(([, v]) => typeof v === 'number');
  const breakdowns = perf.filter(([, v]) => v && typeof v === 'object');
  const kv = r.kv_cache;
  const m = r.model ?? {};
  return [
    h('section', { class: 'card head', 'data-testid': 'headline' },
      h('p', { class: 'lbl', text: t('r.perGpu') }),
      h('p', { class: 'big' }, h('strong', { 'data-testid': 'total-memory', text: F.bytes(pg.total_bytes) }),
        h('span', { class: r.fits ? 'fit yes' : 'fit no', 'data-testid': 'fit-status', text: r.fits ? `✓ ${t('r.fits')}` : `✗ ${t('r.nofit')}` })),
      cap && h('p', { class: 'muted', text: t('r.of', { cap: F.bytes(cap), gpu: ctx.gpuName }) }),
      need && h('p', { 'data-testid': 'gpus-needed', text: need.n == null ? t('r.noneUpTo', { n: need.max })
        : need.fits ? t('r.fitsOn', { n: need.n, gpu: ctx.gpuName })
          : t('r.needs', { n: need.n, gpu: ctx.gpuName, how: t(`r.how.${need.task}`, { n: need.n, z: need.zero }) }) }),
      stackedBar(parts, cap, `${t('r.components')}: ${parts.map((p) => p.title).join(', ')}`)),
    sec('components', t('r.components'),
      h('table', { class: 'comp' },
        h('thead', null, h('tr', null, h('th', { text: t('r.component') }), h('th', { class: 'num', text: t('r.bytes') }), h('th', { class: 'num', text: t('r.share') }))),
        h('tbody', null, rows),
        h('tfoot', null, h('tr', null, h('th', { text: t('r.total') }), h('th', { class: 'num', text: F.bytes(pg.total_bytes) }), h('th')))),
      h('p', { class: 'muted', text: t('r.tipHint') })),
    sec('peaks', t('r.peaks'), dl([
      [t('peak.allocated'), F.bytes(pg.peak?.allocated_bytes), 'peak-allocated', t('peak.allocatedHelp')],
      [t('peak.reserved'), F.bytes(pg.peak?.reserved_bytes), 'peak-reserved', t('peak.reservedHelp')],
      [t('peak.device'), F.bytes(pg.peak?.device_bytes), 'peak-device', t('peak.deviceHelp')],
      r.range && [t('r.range'), `${F.bytes(r.range.low_bytes)} – ${F.bytes(r.range.high_bytes)}`, 'range'],
      r.host_bytes > 0 && [t('r.host'), F.bytes(r.host_bytes), 'host'],
    ])),
    kv && sec('kv', t('r.kv'), dl(Object.entries(kv).map(([k, v]) => [label(`kv.${k}`, k), /bytes/.test(k) ? F.bytes(v) : F.count(v), `kv-${k}`]))),
    figures.length > 0 && sec('speed', t('r.perf'), dl(figures.map(([k, v]) => [label(`p.${k}`, k), F.byKey(k, v), `perf-${k}`])),
      breakdowns.map(([k, o]) => h('details', { class: 'sub' }, h('summary', { text: label(`p.${k}`, k) }),
        dl(Object.entries(o).map(([k2, v2]) => [k2, F.byKey(k2, v2)]))))),
    h('section', { class: 'card charts' }, h('div', { 'data-testid': 'chart-seq', class: 'chartbox' }), h('div', { 'data-testid': 'chart-batch', class: 'chartbox' })),
    r.warnings?.length > 0 && sec('warnings', t('r.warnings'), h('ul', null, r.warnings.map((w) => h('li', { text: w })))),
    sec('model', t('r.model'), dl(['params', 'active_params', 'vision_params', 'num_hidden_layers', 'hidden_size', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'vocab_size', 'model_type']
      .filter((k) => m[k] != null).map((k) => [k, typeof m[k] === 'number' ? F.count(m[k], k.endsWith('params')) : m[k]]))),
  ];
}

/** One chart: memory per GPU against `key`. s = {key, xs, answers (response|null per x), current, capacity} */
export function renderChart(s, title) {
  const first = s.answers.find(Boolean);
  const ids = first ? first.per_gpu.components.map((c) => c.id) : [];
  const series = ids.map((id, k) => ({ k: k % K, label: cname(id), ys: s.answers.map((a) => a?.per_gpu.components.find((c) => c.id === id)?.bytes) }));
  const totals = s.answers.map((a) => a?.per_gpu.total_bytes ?? null);
  const ok = totals.filter((v) => v != null);
  const label = t('chart.label', { title, n: ok.length, lo: F.bytes(Math.min(...ok)), hi: F.bytes(Math.max(...ok)) });
  return [h('h3', { text: title }), areaChart({ xs: s.xs, series, totals, capacity: s.capacity, current: s.current, fx: F.short, fy: (v) => F.inUnit(v).toFixed(0), fb: F.bytes, title: label, capLabel: t('chart.capacity') }),
    h('p', { class: 'muted', text: `${F.getUnit()} · ${label}` })];
}

/** The recommendation table from the contract's `options`; `apply(option)` (if given) puts
 * an option's GPU and layout into the job's tab. */
export function renderOptions(options, apply) {
  if (!options?.length) return [h('p', { 'data-testid': 'recommend-empty', text: t('rec.none') })];
  const cols = ['gpu', 'num_gpus', 'layout', 'per_gpu', 'fits', 'tokens_per_s', 'usd_per_hour', 'usd_per_million_tokens', 'why'];
  const layout = (l) => Object.entries(l ?? {}).filter(([k, v]) => v > 1 || (k === 'zero_stage' && v > 0))
    .map(([k, v]) => (k === 'zero_stage' ? `ZeRO-${v}` : `${k.toUpperCase()} ${v}`)).join(' · ') || '–';
  const cell = (o, c) => {
    switch (c) {
      case 'gpu': return o.gpu_name ?? o.gpu;
      case 'layout': return layout(o.layout);
      case 'per_gpu': return F.bytes(o.per_gpu_total_bytes);
      case 'fits': return o.fits ? '✓' : '✗';
      case 'tokens_per_s': return F.count(o.tokens_per_s);
      case 'usd_per_hour': case 'usd_per_million_tokens': return F.usd(o[c]);
      default: return o[c] == null ? '–' : String(o[c]);
    }
  };
  return [h('section', { class: 'card' }, h('h3', { text: t('tab.recommend') }), h('div', { class: 'scroll' }, h('table', { class: 'rec', 'data-testid': 'recommend-table' },
    h('thead', null, h('tr', null, cols.map((c) => h('th', { class: c === 'why' ? '' : 'nw', text: t(`rec.${c}`) })), apply && h('th'))),
    h('tbody', null, options.map((o) => h('tr', null, cols.map((c) => h('td', { class: c === 'why' ? 'why' : 'nw', text: cell(o, c) })),
      apply && h('td', null, h('button', { type: 'button', 'data-testid': 'recommend-apply', text: t('rec.apply'), onclick: () => apply(o) }))))))))];
}
