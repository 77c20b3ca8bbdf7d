// `node --import ./bench/use-dist.ts bench/naive-operator.ts`: the naive baseline runs the same compiled code as
// the shipped operator. Every import of a file under src/ is answered with its compiled twin under dist/
// (`npm run build`), so the baseline's memory and CPU compare like with like.
import { registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const src = pathToFileURL(join(import.meta.dirname, '../src/')).href;
const dist = pathToFileURL(join(import.meta.dirname, '../dist/')).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (!resolved.url.startsWith(src) || !resolved.url.endsWith('.ts')) return resolved;
    return { ...resolved, url: dist + resolved.url.slice(src.length, -'.ts'.length) + '.js', format: 'module' };
  },
});
