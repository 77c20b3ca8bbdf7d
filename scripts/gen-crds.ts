// Renders crds/<group>_<plural>.yaml from the schemas in src/api/schema (their single source).
// `--check` renders in memory and exits 1 when a file on disk differs (a hand edit or a stale render).
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrds } from '../src/api/render-crds.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const stale: string[] = [];
for (const { file, text } of renderCrds()) {
  const path = join(root, file);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) continue;
  if (check) {
    stale.push(file);
  } else {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    console.log(`wrote ${file}`);
  }
}
if (stale.length > 0) {
  console.error(`CRDs differ from the schemas in src/api/schema: ${stale.join(', ')}\nrun: node scripts/gen-crds.ts`);
  process.exit(1);
}
