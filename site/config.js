// Deployment settings: edit this file (and nothing else) to configure a copy of the site.
export default {
  // Hosts the "Fetch config.json" button may contact — only when clicked. Each must also be
  // listed in connect-src of index.html's Content-Security-Policy.
  hubs: ['huggingface.co', 'hf-mirror.com'],
  // Base URL of the docs/ folder (e.g. 'https://github.com/OWNER/llm-sizer/blob/main/docs/'):
  // formula tips then link to docs/model.md. null shows the path as text.
  docs: null,
  // The support panel, shown under a result only when set (off by default), e.g.
  // { title: {en: 'Like it?', zh: '觉得有用？'}, text: {en: '…', zh: '…'},
  //   links: [{label: {en: 'Sponsor', zh: '赞助'}, href: 'https://github.com/sponsors/OWNER'}] }
  support: null,
};
