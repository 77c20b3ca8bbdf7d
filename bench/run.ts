// `make bench`: the operator at scale against eucasim, batched polling vs the naive baseline in the same run.
// Env: BENCH_QUICK=1 (small N, a few minutes), BENCH_OUT (JSON path, default .out/bench/results.json; the SVG
// plot and the table are written beside it), BENCH_ONLY=flows,cache,restart,ratelimit,shards (a subset),
// BENCH_HEAP_SNAPSHOT=1 (a heap snapshot of the operator with every cached resource, summarised in the table),
// BENCH_CACHE_RESTARTS (starts after a SIGKILL in the cache run, default 3: the spread of its memory figures),
// BENCH_MODES=batched,naive and BENCH_LATENCIES=zero,realistic (the flow runs to make).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { runCache } from './cache.ts';
import { runFlow, type FlowKind, type FlowResult, type LatencyName } from './flow.ts';
import { plotSvg } from './plot.ts';
import { runRateLimit } from './rate-limit.ts';
import { renderTable, type BenchResults } from './report.ts';
import { runRestart } from './restart.ts';
import { runShards } from './shards.ts';
import { root, startWorld } from './world.ts';

const quick = process.env.BENCH_QUICK === '1';
const out = process.env.BENCH_OUT || join(root, '.out/bench/results.json');
const only = new Set((process.env.BENCH_ONLY || 'flows,cache,restart,ratelimit,shards').split(',').map((s) => s.trim()));
// BENCH_MODES=batched skips the naive baseline (no ratios), BENCH_LATENCIES=zero one latency: quicker flow checks.
const modes = (process.env.BENCH_MODES || 'batched,naive').split(',').map((s) => s.trim());
const latencies = (process.env.BENCH_LATENCIES || 'zero,realistic').split(',').map((s) => s.trim()) as LatencyName[];
const logDir = join(dirname(out), 'logs');
mkdirSync(logDir, { recursive: true });

// BENCH_N=10: one tiny size everywhere, to check the harness itself.
const tiny = Number(process.env.BENCH_N || 0);
const sizes = tiny ? { captures: [tiny], bundles: [tiny], cache: tiny * 10, restart: tiny, rateLimit: tiny, shards: tiny * 3 } : quick ? { captures: [50, 200], bundles: [50], cache: 2_000, restart: 200, rateLimit: 40, shards: 600 }
  : { captures: [100, 1_000], bundles: [100], cache: 10_000, restart: 1_000, rateLimit: 100, shards: 3_000 };
// The full run keeps within about 20 minutes: the naive baseline's cost grows with N squared (every waiting resource
// polls on its own) and at N = 1,000 each naive flow took 6 minutes (docs/performance.md keeps those figures), so
// it runs at N = 100 only, where its ratios are already clear. Quick and tiny runs make every run.
const full = !tiny && !quick;
const naiveUpTo = full ? 100 : Infinity;
// The naive rate-limited run takes minutes per 100 captures; half of them show the same.
const naiveRateLimitN = full ? sizes.rateLimit / 2 : sizes.rateLimit;
const TIMEOUT = 15 * 60_000;
const RATE = { qps: 500, burst: 100 };

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const started = performance.now();
const results: BenchResults = {
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memGb: Math.round(totalmem() / 2 ** 30), node: process.version, quick },
  startedAt: new Date().toISOString(),
  durationS: 0,
  flows: [],
  rateLimit: [],
};

const world = await startWorld();
log(`control plane at ${world.plane.server}`);
try {
  if (only.has('flows')) {
    const plan: Array<[FlowKind, number]> = [...sizes.captures.map((n) => ['captures', n] as [FlowKind, number]), ...sizes.bundles.map((n) => ['bundles', n] as [FlowKind, number])];
    for (const [kind, n] of plan) {
      for (const latency of latencies) {
        for (const naive of modes.map((m) => m === 'naive')) {
          if (naive && n > naiveUpTo) continue;
          log(`${kind} N=${n} latency=${latency} ${naive ? 'naive' : 'batched'}`);
          const r: FlowResult = await runFlow(world, { kind, n, latency, naive, rateLimit: RATE, logDir, timeoutMs: TIMEOUT });
          log(`  wall ${r.wallS.toFixed(1)} s, ${r.callsPerResource.toFixed(1)} cloud calls/res (poll ${r.pollPerResource.toFixed(2)}), ${r.apiPerResource.toFixed(1)} API req/res, peak RSS ${r.operator.peakRssMb.toFixed(0)} MB`);
          results.flows.push(r);
        }
      }
    }
  }
  if (only.has('cache')) {
    log(`cache: ${sizes.cache} Available captures`);
    results.cache = await runCache(world, sizes.cache, logDir, TIMEOUT);
    const last = results.cache.restarts.at(-1)!;
    log(`  readyz ${last.readyS.toFixed(1)} s, reconciled ${last.reconciledS.toFixed(1)} s, peak RSS ${Math.max(results.cache.first.peakRssMb, ...results.cache.restarts.map((x) => x.peakRssMb)).toFixed(0)} MB`);
  }
  if (only.has('restart')) {
    log(`restart: ${sizes.restart} captures in flight, SIGKILL`);
    results.restart = await runRestart(world, sizes.restart, logDir, TIMEOUT);
    log(`  resumed in ${results.restart.resumeS.toFixed(1)} s, extra creating calls ${results.restart.extraCreateCalls}`);
  }
  if (only.has('ratelimit')) {
    for (const naive of [false, true]) {
      const n = naive ? naiveRateLimitN : sizes.rateLimit;
      log(`rate limit qps 20: ${n} captures ${naive ? 'naive' : 'batched'}`);
      const r = await runRateLimit(world, n, naive, logDir, TIMEOUT);
      log(`  peak ${r.peakPerSecond} req/s (${r.withinLimit ? 'within' : 'ABOVE'} the limit)`);
      results.rateLimit.push(r);
    }
  }
  if (only.has('shards')) {
    log(`shards: ${sizes.shards} captures over the main shard and shards a and b`);
    results.shards = await runShards(world, sizes.shards, RATE, logDir, TIMEOUT);
    const x = results.shards;
    for (const sh of x.shards) log(`  ${sh.shard}: ${sh.resources} captures, wall ${sh.wallS.toFixed(1)} s, ${sh.callsPerResource.toFixed(1)} cloud calls/res, peak RSS ${sh.peakRssMb.toFixed(0)} MB, CPU ${sh.cpuSeconds.toFixed(1)} s`);
    log(`  reconciled by two shards: ${x.reconciledByTwo}; by another shard than their label's, or none: ${x.misplaced}`);
    // One writer per resource is a correctness property, not a figure: the run fails without it.
    if (x.reconciledByTwo || x.misplaced) process.exitCode = 1;
  }
} finally {
  results.durationS = (performance.now() - started) / 1000;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  const table = renderTable(results);
  writeFileSync(out.replace(/\.json$/, '') + '.md', `${table}\n`);
  if (results.flows.length) writeFileSync(out.replace(/\.json$/, '') + '.svg', plotSvg(results.flows));
  console.log(table);
  log(`done in ${results.durationS.toFixed(0)} s; results in ${out}`);
  await world.close();
}
