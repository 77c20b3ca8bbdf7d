// Memory of loading modules, nothing else: each row is a fresh `node` that imports one module (or the whole
// operator) and reports its peak RSS (VmHWM) and V8 heap, with and without the chart's NODE_OPTIONS and
// GLIBC_TUNABLES.
// `node bench/module-rss.ts` (after `npm run build`) prints the table docs/performance.md quotes.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chartProcessEnv } from './node-options.ts';
import { root } from './world.ts';

interface Row { label: string; specifier: string }

const rows: Row[] = [
  { label: 'node alone', specifier: '' },
  { label: '@kubernetes/client-node', specifier: '@kubernetes/client-node' },
  { label: '@aws-sdk/client-ec2', specifier: '@aws-sdk/client-ec2' },
  { label: '@aws-sdk/client-s3 (loaded on first use)', specifier: '@aws-sdk/client-s3' },
  { label: 'pino + prom-client + the proxy agents', specifier: 'pino,prom-client,hpagent,socks-proxy-agent' },
  { label: 'operator as shipped: the bundle (dist/operator.js)', specifier: join(root, 'dist/operator.js') },
  // Node strips types with a WebAssembly build of its TypeScript parser, which --jitless takes away.
  { label: 'operator, type stripping (src/operator.ts; the chart flags without --jitless)', specifier: join(root, 'src/operator.ts') },
];

// Runs in the child: import, let the loader's garbage go, then read VmHWM / VmRSS and the heap.
const probe = `
const specs = process.argv[1] ? process.argv[1].split(',') : [];
for (const s of specs) await import(s);
await new Promise((r) => setTimeout(r, 200));
const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
const kb = (f) => Number(new RegExp('^' + f + ':\\\\s+(\\\\d+)', 'm').exec(status)[1]);
const h = process.memoryUsage();
console.log(JSON.stringify({ hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024, heap: h.heapUsed / 2 ** 20 }));
`;

function measure(specifier: string, env: Record<string, string>): { hwm: number; rss: number; heap: number } {
  // Median of three runs: loading is deterministic but the machine is shared.
  const runs = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe, specifier], {
    cwd: root, env: { ...process.env, NODE_OPTIONS: '', ...env }, encoding: 'utf8',
  })) as { hwm: number; rss: number; heap: number });
  runs.sort((a, b) => a.hwm - b.hwm);
  return runs[1]!;
}

if (!existsSync(join(root, 'dist/operator.js'))) throw new Error('dist/ is missing: run `npm run build` first');
const shipped = chartProcessEnv();
const mb = (v: number) => v.toFixed(0);
console.log(`| module | peak RSS MB | RSS MB | heap used MB | peak RSS MB with \`${Object.entries(shipped).map(([k, v]) => `${k}=${v}`).join(' ')}\` | heap used MB with it |`);
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const plain = measure(r.specifier, {});
  const flags = measure(r.specifier, r.specifier.endsWith('.ts') ? { ...shipped, NODE_OPTIONS: shipped.NODE_OPTIONS!.replace(/--jitless\s*/, '') } : shipped);
  console.log(`| ${r.label} | ${mb(plain.hwm)} | ${mb(plain.rss)} | ${mb(plain.heap)} | ${mb(flags.hwm)} | ${mb(flags.heap)} |`);
}
