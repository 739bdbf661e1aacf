// <llm-sizer-widget>: the per-GPU answer for one request, for other sites' docs. Every
// attribute is a request field (dashes read as underscores, dots as nested objects:
// seq-len="4096", lora.r="64"); `request` takes a whole JSON request; `lang` (en | zh),
// `unit` (GiB | GB) and `theme` (light | dark) set the display. Usage:
//   <script type="module" src="https://YOU.github.io/llm-sizer/widget.js"></script>
//   <llm-sizer-widget task="train" model="Qwen/Qwen2.5-7B" gpu="rtx-4090" method="qlora"></llm-sizer-widget>
// The host page's CSP must allow this origin in script-src and connect-src, and 'wasm-unsafe-eval'.
import createSizer from './llm-sizer.js';
import { FIELDS, put } from './fields.js';
import * as F from './format.js';
import { t, setLang, useLang, pickLang } from './i18n.js';
import { h, stackedBar } from './ui.js';
import { cname } from './view.js';

const base = new URL('./', import.meta.url);
const OWN = ['request', 'lang', 'unit', 'theme', 'class', 'style', 'id', 'title'];

const scalar = (v) => (v === 'true' ? true : v === 'false' ? false : v !== '' && isFinite(v) ? Number(v) : v);

/** The main page's URL for the same request (its state keys are the form's field ids). */
function pageLink(req) {
  const p = new URLSearchParams({ view: req.task });
  const walk = (o, pre) => {
    for (const [k, v] of Object.entries(o)) {
      const path = pre + k;
      if (path === 'model' && typeof v === 'object') p.set('config', JSON.stringify(v));
      else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v, `${path}.`);
      else p.set(FIELDS.find((f) => f.key === path && f.v === req.task)?.id ?? path, Array.isArray(v) ? v.join(',') : v);
    }
  };
  walk(req, '');
  p.delete('task');
  return new URL(`index.html#${p}`, base).href;
}

class LlmSizerWidget extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    this.attachShadow({ mode: 'open' }).append(h('link', { rel: 'stylesheet', href: new URL('style.css', base).href }), this.box = h('div', { class: 'card widget' }));
    new MutationObserver(() => this.render()).observe(this, { attributes: true });
    this.render();
  }

  request() {
    const r = this.hasAttribute('request') ? JSON.parse(this.getAttribute('request')) : {};
    for (const { name, value } of this.attributes) if (!OWN.includes(name)) put(r, name.replace(/-/g, '_'), scalar(value));
    r.task ??= 'infer';
    return r;
  }

  async render() {
    const lang = pickLang([this.getAttribute('lang'), document.documentElement.lang, ...navigator.languages].filter(Boolean));
    const [sizer] = await Promise.all([createSizer(), setLang(lang)]);
    useLang(lang);   // from here on synchronous: no other widget can switch the language midway
    F.setLocale(lang === 'zh' ? 'zh-CN' : 'en');
    F.setUnit(this.getAttribute('unit'));
    let body;
    try {
      const req = this.request();
      const r = sizer.estimate(req);
      const parts = r.per_gpu.components.map((c, k) => ({ ...c, k, title: `${cname(c.id)}: ${F.bytes(c.bytes)}` }));
      body = [
        h('p', { class: 'muted', text: `${r.model?.id ?? r.model?.model_type ?? ''} · ${r.gpu?.name ?? ''}` }),
        h('p', { class: 'big' }, h('strong', { part: 'total', 'data-testid': 'total-memory', text: F.bytes(r.per_gpu.total_bytes) }),
          h('span', { class: r.fits ? 'fit yes' : 'fit no', 'data-testid': 'fit-status', text: r.fits ? `✓ ${t('r.fits')}` : `✗ ${t('r.nofit')}` })),
        r.gpu?.memory_bytes && h('p', { class: 'muted', text: t('r.of', { cap: F.bytes(r.gpu.memory_bytes), gpu: r.gpu.name }) }),
        stackedBar(parts, r.gpu?.memory_bytes, parts.map((p) => p.title).join(', ')),
        h('ul', { class: 'legend' }, parts.map((p) => h('li', { 'data-testid': `component-${p.id}` }, h('span', { class: `sw k${p.k}` }), p.title))),
        h('a', { href: pageLink(req), target: '_blank', rel: 'noopener', text: `${t('embed.open')} ↗` }),
      ];
    } catch (e) {
      body = [h('p', { class: 'error', 'data-testid': 'widget-error', text: `${t('r.error')}: ${e.message}${e.path ? ` (${e.path})` : ''}` })];
    }
    this.box.replaceChildren(...body.filter(Boolean));
  }
}

if (!customElements.get('llm-sizer-widget')) customElements.define('llm-sizer-widget', LlmSizerWidget);
