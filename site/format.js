// Every number the page shows is formatted here, and every unit is converted here: the core
// speaks bytes, seconds and FLOP/s; the page shows GiB (2^30) or GB (1e9), ms or s, and the
// locale's digits. Nothing else in site/ divides by 2^30.
const GIB = 2 ** 30;
let locale = 'en';
let unit = 'GiB';

const formatters = new Map();
export const setLocale = (l) => { if (l !== locale) { locale = l; formatters.clear(); } };
export const setUnit = (u) => { unit = u === 'GB' ? 'GB' : 'GiB'; };
export const getUnit = () => unit;

/** A cached Intl.NumberFormat (creating one costs far more than using it). */
function nf(opts) {
  const k = JSON.stringify(opts);
  if (!formatters.has(k)) formatters.set(k, new Intl.NumberFormat(locale, opts));
  return formatters.get(k);
}
const digits = (x) => (Math.abs(x) >= 1000 ? 0 : Math.abs(x) >= 100 ? 1 : 2);

/** Bytes in the chosen unit: "19.29 GiB" / "20.72 GB". */
export function bytes(b, u = unit) {
  if (b == null || !isFinite(b)) return '–';
  if (Math.abs(b) < 2 ** 20) return `${count(b)} B`;
  const x = b / (u === 'GB' ? 1e9 : GIB);
  return `${nf({ maximumFractionDigits: digits(x), minimumFractionDigits: x && Math.abs(x) < 100 ? 2 : 0 }).format(x)} ${u}`;
}

/** The value of `b` in the chosen unit (for chart axes). */
export const inUnit = (b) => b / (unit === 'GB' ? 1e9 : GIB);

/** A count: 45,104 or 4.5万 / 45.1K when compact. */
export const count = (n, compact = false) =>
  n == null ? '–' : nf(compact ? { notation: 'compact', maximumFractionDigits: 1 } : { maximumFractionDigits: 3 }).format(n);

export const percent = (f) => nf({ style: 'percent', maximumFractionDigits: 1 }).format(f);

/** Seconds as µs, ms, s, min or h. */
export function duration(s) {
  if (s == null || !isFinite(s)) return '–';
  const [v, u] = s < 1e-3 ? [s * 1e6, 'µs'] : s < 1 ? [s * 1e3, 'ms'] : s < 120 ? [s, 's'] : s < 7200 ? [s / 60, 'min'] : [s / 3600, 'h'];
  return `${nf({ maximumFractionDigits: digits(v) }).format(v)} ${u}`;
}

export const usd = (x) => (x == null ? '–' : nf({ style: 'currency', currency: 'USD', maximumFractionDigits: x < 10 ? 2 : 0 }).format(x));

/** Formats one value of the response by what its key says it is; the label carries the unit
 * of rates (tokens/s). Nested objects are the caller's to lay out. */
export function byKey(key, v) {
  if (typeof v !== 'number') return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  if (/bytes/.test(key)) return Math.abs(v) < 2 ** 20 ? bytes(v) : `${bytes(v)} (${count(v)} B)`;
  if (/(^|_)usd/.test(key)) return usd(v);
  if (/_per_s$/.test(key)) return count(v);
  if (/_s$/.test(key)) return duration(v);
  if (/^[mh]fu$|utilization|fraction|efficiency$/.test(key) && v <= 1) return percent(v);
  return count(v, Math.abs(v) >= 1e7);
}

// Custom-GPU inputs are typed in the units spec sheets use; the request wants SI base units.
export const gibToBytes = (g) => Math.round(g * GIB);
export const giga = (x) => x * 1e9;
export const tera = (x) => x * 1e12;
/** A sweep point's axis label: 2048 -> "2K", 131072 -> "128K". */
export const short = (n) => (n >= 1024 && n % 1024 === 0 ? `${n / 1024}K` : String(n));
