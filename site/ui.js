// DOM and SVG building blocks: h() creates elements and only ever sets text as text (never
// HTML), so names from pasted configs cannot inject markup; the two charts are plain SVG.
const NS = 'http://www.w3.org/2000/svg';

/** h('p', {class: 'x', 'data-testid': 'y', onclick: f}, 'text', child) */
export function h(tag, props, ...kids) {
  const e = tag.startsWith('svg:') ? document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids.flat().filter((k) => k != null && k !== false));
  return e;
}

/** One horizontal bar, a segment per component, with the GPU's capacity marked. */
export function stackedBar(parts, capacity, label) {
  const max = Math.max(capacity || 0, parts.reduce((a, p) => a + p.bytes, 0)) || 1;
  const bar = h('svg:svg', { viewBox: '0 0 1000 36', preserveAspectRatio: 'none', class: 'bar', role: 'img', 'aria-label': label, 'data-testid': 'stacked-bar' });
  let x = 0;
  for (const p of parts) {
    const w = (p.bytes / max) * 1000;
    bar.append(h('svg:rect', { x, y: 4, width: Math.max(w, 0), height: 28, class: `k${p.k}`, 'data-id': p.id }, h('svg:title', { text: p.title })));
    x += w;
  }
  if (capacity) bar.append(h('svg:line', { x1: (capacity / max) * 1000, x2: (capacity / max) * 1000, y1: 0, y2: 36, class: 'cap' }));
  return bar;
}

const W = 600, H = 250, L = 52, R = 24, T = 16, B = 30;

/** Memory per GPU (stacked by component) over a sweep: c = {xs, series:[{k, label, ys}],
 * totals, capacity, current, fx (x label), fy (y label), title}. Missing points are skipped. */
export function areaChart(c) {
  const n = c.xs.length;
  const px = (i) => L + (n > 1 ? (i / (n - 1)) * (W - L - R) : 0);
  const top = Math.max(c.capacity || 0, ...c.totals.filter((v) => v != null)) * 1.08 || 1;
  const py = (v) => H - B - (v / top) * (H - B - T);
  const g = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': c.title });
  for (let i = 0; i <= 4; i++) {
    const v = (top / 1.08) * (i / 4);
    g.append(h('svg:line', { x1: L, x2: W - R, y1: py(v), y2: py(v), class: 'grid' }),
      h('svg:text', { x: L - 4, y: py(v) + 4, class: 'ty', text: c.fy(v) }));
  }
  c.xs.forEach((x, i) => g.append(h('svg:text', { x: px(i), y: H - B + 16, class: 'tx', text: c.fx(x) })));
  // Stacked areas over the points the core answered (one run of valid points each).
  const ok = c.totals.map((v) => v != null);
  const base = c.xs.map(() => 0);
  for (const s of c.series) {
    const upper = base.map((b, i) => b + (s.ys[i] ?? 0));
    const idx = c.xs.map((_, i) => i).filter((i) => ok[i]);
    if (idx.length) {
      const d = idx.map((i, j) => `${j ? 'L' : 'M'}${px(i)},${py(upper[i])}`).join('') +
        idx.reverse().map((i) => `L${px(i)},${py(base[i])}`).join('') + 'Z';
      g.append(h('svg:path', { d, class: `area k${s.k}` }, h('svg:title', { text: s.label })));
    }
    upper.forEach((u, i) => { base[i] = u; });
  }
  const pts = c.xs.map((_, i) => i).filter((i) => ok[i]);
  g.append(h('svg:path', { d: pts.map((i, j) => `${j ? 'L' : 'M'}${px(i)},${py(c.totals[i])}`).join(''), class: 'total' }));
  for (const i of pts)
    g.append(h('svg:circle', { cx: px(i), cy: py(c.totals[i]), r: 3.5, class: 'pt', 'data-x': c.xs[i] }, h('svg:title', { text: `${c.fx(c.xs[i])}: ${c.fb(c.totals[i])}` })));
  if (c.capacity) {
    g.append(h('svg:line', { x1: L, x2: W - R, y1: py(c.capacity), y2: py(c.capacity), class: 'cap' }),
      h('svg:text', { x: W - R, y: py(c.capacity) - 4, class: 'capl', text: c.capLabel }));
  }
  const cur = c.xs.indexOf(c.current);
  if (cur >= 0) g.append(h('svg:line', { x1: px(cur), x2: px(cur), y1: T, y2: H - B, class: 'cur' }));
  return g;
}
