// Offline support. On install it caches the files the page needs (scripts/stamp-sw.mjs writes
// the list and a content hash at build time, so a new build replaces the cache); it answers
// from the cache first and caches anything else same-origin the page fetches later. Of the
// string tables it caches the one the page registered it with (sw.js?lang=zh): a first visit
// downloads one language, and the other is cached when it is first shown.
const VERSION = 'dev';
const FILES = ['./'];
const LANG = new URL(self.location.href).searchParams.get('lang');
self.addEventListener('install', (e) => {
  const files = /^[a-z]{2}$/.test(LANG ?? '') ? [...FILES, `./i18n-${LANG}.js`] : FILES;
  e.waitUntil(caches.open(VERSION).then((c) => c.addAll(files)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  e.respondWith((async () => {
    const hit = (await caches.match(req, { ignoreSearch: true })) ?? (req.mode === 'navigate' ? await caches.match('./') : undefined);
    if (hit) return hit;
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') (await caches.open(VERSION)).put(req, res.clone());
    return res;
  })());
});
