// Strings: one table per language (i18n-en.js, i18n-zh.js), loaded on demand so a page only
// transfers the language it shows. Keys: f.<field> label, h.<field> help, o.<field>.<value>
// option label (else the contract's value is shown), c.<component>, p.<performance key>,
// kv.<kv_cache key>; "{name}" is replaced by t(key, {name}).
export const LANGS = ['en', 'zh'];
const tables = {};
let lang = 'en';

export const getLang = () => lang;

/** The first of the browser's languages we have a table for, else English. */
export const pickLang = (langs) => (langs ?? []).map((l) => l.slice(0, 2).toLowerCase()).find((l) => LANGS.includes(l)) ?? 'en';

/** Loads (once) and selects a language's table. */
export async function setLang(l) {
  l = LANGS.includes(l) ? l : 'en';
  tables[l] ??= (await import(`./i18n-${l}.js`)).default;
  lang = l;
}
/** Selects an already loaded table at once (several widgets on a page may differ in language). */
export const useLang = (l) => { if (tables[l]) lang = l; };

/** The string for `key` in the current language, else the key itself. */
export function t(key, params) {
  const s = tables[lang]?.[key] ?? key;
  return params ? s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? params[k] : m)) : s;
}
export const has = (key) => key in (tables[lang] ?? {});
