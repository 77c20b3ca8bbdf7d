// Prints the benchmark's table: each batched figure with the naive figure and their ratio beside it.
import type { CacheResult } from './cache.ts';
import type { FlowResult } from './flow.ts';
import { renderHeapSummary } from './heap-summary.ts';
import type { RateLimitResult } from './rate-limit.ts';
import type { RestartResult } from './restart.ts';
import type { ShardsResult } from './shards.ts';

export interface BenchResults {
  machine: { cpus: number; cpuModel: string; memGb: number; node: string; quick: boolean };
  startedAt: string;
  durationS: number;
  flows: FlowResult[];
  cache?: CacheResult;
  restart?: RestartResult;
  rateLimit: RateLimitResult[];
  shards?: ShardsResult;
}

const f = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const ratio = (naive: number, batched: number) => (batched > 0 ? `${(naive / batched).toFixed(1)}x` : '-');

function pairs(flows: FlowResult[]): Array<[FlowResult, FlowResult | undefined]> {
  return flows.filter((r) => r.mode === 'batched').map((b) => [b, flows.find((r) => r.mode === 'naive' && r.kind === b.kind && r.n === b.n && r.latency === b.latency)]);
}

export function renderTable(r: BenchResults): string {
  const lines: string[] = [];
  const cols = ['flow', 'N', 'latency', 'wall s', 'p50 s', 'p95 s', 'max s', 'EC2+S3/res', 'poll/res', 'overhead', 'API req/res', 'API writes/res', 'peak RSS MB', 'CPU s'];
  lines.push(`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`);
  for (const [b, n] of pairs(r.flows)) {
    const cell = (get: (x: FlowResult) => number, digits = 1) => n ? `${f(get(b), digits)} / ${f(get(n), digits)} (${ratio(get(n), get(b))})` : f(get(b), digits);
    lines.push(`| ${b.kind} | ${b.n} | ${b.latency} | ${cell((x) => x.wallS)} | ${cell((x) => x.p50S)} | ${cell((x) => x.p95S)} | ${cell((x) => x.maxS)} | ${cell((x) => x.callsPerResource)} | ${cell((x) => x.pollPerResource, 2)} | ${cell((x) => x.pollOverhead, 2)} | ${cell((x) => x.apiPerResource)} | ${cell((x) => x.apiWritesPerResource)} | ${cell((x) => x.operator.peakRssMb, 0)} | ${cell((x) => x.cpuSecondsInFlow)} |`);
  }
  lines.push('', 'Cells: batched / naive (naive ÷ batched). overhead = all cloud calls ÷ the flow\'s non-poll calls (target ≤ 1.25).');
  lines.push('', '| flow | N | latency | mode | EC2/S3 calls per resource by action |', '|---|---|---|---|---|');
  for (const x of r.flows) {
    const by = Object.entries(x.cloudCalls.byAction).map(([a, c]) => `${a} ${f(c / x.n, 2)}`).join(', ');
    lines.push(`| ${x.kind} | ${x.n} | ${x.latency} | ${x.mode} | ${by} |`);
  }
  if (r.cache) {
    const c = r.cache;
    lines.push('', `Cache: ${c.n} Available ImageCaptures (seeded in ${f(c.seedS)} s)`, '| start | readyz s | all reconciled s | peak RSS MB | RSS MB | CPU s | cloud calls |', '|---|---|---|---|---|---|---|');
    const starts: Array<[string, typeof c.first]> = [['first', c.first], ...c.restarts.map((x, i): [string, typeof c.first] => [`after SIGKILL ${i + 1}`, x])];
    for (const [label, x] of starts) {
      lines.push(`| ${label} | ${f(x.readyS)} | ${f(x.reconciledS)} | ${f(x.peakRssMb, 0)} | ${f(x.rssMb, 0)} | ${f(x.cpuSeconds)} | ${Object.entries(x.cloudCalls).map(([a, n]) => `${a} ${n}`).join(', ') || 'none'} |`);
    }
    lines.push('', 'RSS once every resource was reconciled, by kind of mapping (MB): node executable, malloc heap, anonymous (V8 heap total / used, external)', '| start | RSS | node executable | malloc heap | anonymous | V8 heap total | V8 heap used | external |', '|---|---|---|---|---|---|---|---|');
    for (const [label, x] of starts) {
      const m = x.memory;
      lines.push(`| ${label} | ${f(x.rssMb, 0)} | ${f(m.nodeBinary, 0)} | ${f(m.mallocHeap, 0)} | ${f(m.anonymous, 0)} | ${f(m.v8HeapTotal, 0)} | ${f(m.v8HeapUsed, 0)} | ${f(m.external, 0)} |`);
    }
    const peaks = starts.map(([, x]) => x.peakRssMb);
    lines.push(`Peak RSS over the ${starts.length} starts: ${f(Math.min(...peaks), 0)}–${f(Math.max(...peaks), 0)} MB`);
    if (c.heap) lines.push('', renderHeapSummary(c.heap, c.n));
  }
  if (r.restart) {
    const x = r.restart;
    lines.push('', `Restart: ${x.n} captures, SIGKILL after ${f(x.killedAfterCreates, 0)} had sent their creating call (${x.readyBeforeKill} Ready): resumed to all Ready in ${f(x.resumeS)} s (total ${f(x.totalS)} s); extra creating calls ${x.extraCreateCalls}, duplicate images ${x.duplicateImages}, duplicate snapshots ${x.duplicateSnapshots}`);
    lines.push(`  ${Object.entries(x.creates).map(([a, c]) => `${a} ${c.calls}/${c.expected}`).join(', ')}`);
  }
  for (const x of r.rateLimit) {
    lines.push(`Rate limit (${x.mode}): qps ${x.qps} burst ${x.burst}, ${x.n} captures: peak ${x.peakPerSecond} req/s (${x.withinLimit ? 'within' : 'ABOVE'} qps + burst = ${x.qps + x.burst}), wall ${f(x.wallS)} s, p95 ${f(x.p95S)} s, ${x.calls} calls`);
  }
  if (r.shards) {
    const x = r.shards;
    lines.push('', `Shards: ${x.n} ImageCaptures (${x.latency} latency) over ${x.shards.length} operator processes on one API server and one cloud: wall ${f(x.wallS)} s; reconciled by two shards ${x.reconciledByTwo}, by another shard than their label's or by none ${x.misplaced}; cloud calls ${x.cloudCallsTotal} by the shards' metrics, ${x.cloudCallsSeen} seen by the cloud; API writes/res ${f(x.apiWritesPerResource)}`);
    lines.push('| shard | resources | reconciled by it | wall s | p50 s | p95 s | cloud calls | calls/res | peak RSS MB | CPU s |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const s of x.shards) {
      lines.push(`| ${s.shard} | ${s.resources} | ${s.reconciled} | ${f(s.wallS)} | ${f(s.p50S)} | ${f(s.p95S)} | ${s.cloudCalls} | ${f(s.callsPerResource)} | ${f(s.peakRssMb, 0)} | ${f(s.cpuSeconds)} |`);
    }
  }
  return lines.join('\n');
}
