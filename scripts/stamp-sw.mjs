// Writes the list of dist/ files and a content hash into dist/sw.js, so a new build replaces
// the offline cache and an unchanged build keeps it.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

const dist = process.argv[2] ?? 'dist';
async function walk(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}
const files = (await walk(dist)).filter((f) => !f.endsWith('sw.js') && !f.endsWith('.d.ts')).sort();
const hash = createHash('sha256');
for (const f of files) hash.update(await readFile(f));
const list = ['./', ...files.map((f) => './' + relative(dist, f).split('\\').join('/'))];
const swPath = join(dist, 'sw.js');
let sw = await readFile(swPath, 'utf8');
sw = sw.replace(/const VERSION = .*;/, `const VERSION = 'llm-sizer-${hash.digest('hex').slice(0, 12)}';`)
       .replace(/const FILES = .*;/, `const FILES = ${JSON.stringify(list)};`);
await writeFile(swPath, sw);
