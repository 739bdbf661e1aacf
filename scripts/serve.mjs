// A minimal static file server for dist/ (no dependencies). Loopback by default; --lan binds
// all interfaces and prints the LAN address. Like GitHub Pages it gzips text and wasm when the
// client accepts it and answers conditional requests with 304 (ETag), so what the browser
// tests measure is what a static host transfers.
// --log prints one JSON line per response ({path, status, bytes}: the body bytes sent), which
// the browser tests sum to measure what a visit transfers.
// Usage: node scripts/serve.mjs [dir] [--port N] [--lan] [--log]   (--port 0: any free port)
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const lan = args.includes('--lan');
const log = args.includes('--log') ? (path, status, bytes) => console.log(JSON.stringify({ path, status, bytes })) : () => {};
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 8080;
const root = resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--port') ?? 'dist');
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.webmanifest': 'application/manifest+json', '.ts': 'text/plain',
};
const compressible = new Set(['.html', '.js', '.mjs', '.wasm', '.json', '.css', '.svg', '.webmanifest', '.ts']);
const cache = new Map();   // path -> {mtime, body, gz, etag}

async function load(path, mtime) {
  const hit = cache.get(path);
  if (hit && hit.mtime === mtime) return hit;
  const body = await readFile(path);
  const entry = { mtime, body, etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`,
    gz: compressible.has(extname(path)) ? gzipSync(body, { level: 9 }) : null };
  cache.set(path, entry);
  return entry;
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    let path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!path.startsWith(root)) { res.writeHead(403).end(); return; }
    let st = await stat(path).catch(() => null);
    if (st?.isDirectory()) { path = join(path, 'index.html'); st = await stat(path).catch(() => null); }
    if (!st) throw new Error('missing');
    const f = await load(path, st.mtimeMs);
    const headers = { 'content-type': types[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-cache', etag: f.etag, vary: 'accept-encoding' };
    if (req.headers['if-none-match'] === f.etag) { res.writeHead(304, headers).end(); log(url.pathname, 304, 0); return; }
    const gzip = f.gz && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (gzip) headers['content-encoding'] = 'gzip';
    const body = gzip ? f.gz : f.body;
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    log(url.pathname, 200, req.method === 'HEAD' ? 0 : body.length);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    log(req.url, 404, 9);
  }
});

server.on('error', (e) => {
  console.error(`llm-sizer: cannot serve on port ${port}: ${e.message}`);
  process.exit(1);
});
server.listen(port, lan ? '0.0.0.0' : '127.0.0.1', () => {
  const port = server.address().port;   // --port 0: the one the OS picked
  console.log(`llm-sizer: serving ${root} at http://127.0.0.1:${port}/`);
  if (lan)
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? [])
        if (a.family === 'IPv4' && !a.internal) console.log(`llm-sizer: on the LAN at http://${a.address}:${port}/`);
});
