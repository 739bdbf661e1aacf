// Writes into dist/sw.js the files the page needs offline and a hash of all of dist/, so a new
// build replaces the offline cache and an unchanged build keeps it. index.html is cached as
// './' (the SW answers navigations with it); the embedding files, the .d.ts and the string
// tables (sw.js adds the page's language) are cached when first used, so a first visit does
// not download what the page never loads.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

const dist = process.argv[2] ?? 'dist';
const LAZY = /(^|\/)(sw\.js|index\.html|embed-example\.html|widget\.(js|css)|i18n-[a-z]+\.js|.*\.d\.ts|.*\.map)$/;
async function walk(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}
const files = (await walk(dist)).map((f) => relative(dist, f).split('\\').join('/')).sort();
const hash = createHash('sha256');
for (const f of files) if (f !== 'sw.js') hash.update(f).update(await readFile(join(dist, f)));
const list = ['./', ...files.filter((f) => !LAZY.test(f)).map((f) => `./${f}`)];
const swPath = join(dist, 'sw.js');
let sw = await readFile(swPath, 'utf8');
sw = sw.replace(/const VERSION = .*;/, `const VERSION = 'llm-sizer-${hash.digest('hex').slice(0, 12)}';`)
       .replace(/const FILES = .*;/, `const FILES = ${JSON.stringify(list)};`);
await writeFile(swPath, sw);
