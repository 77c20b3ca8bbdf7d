// The operator as a child process, so memory and CPU figures are its own: peak RSS from /proc/<pid>/status
// (VmHWM) and CPU seconds from /proc/<pid>/stat (utime + stime), plus its /readyz and /metrics.
// It runs as shipped: the bundle in dist/ (`npm run build`) with the chart's NODE_OPTIONS and GLIBC_TUNABLES; the
// naive baseline is bundled the same way (build/bundle.ts) into .out/bench/naive/ on first use.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/env/free-port.ts';
import { spawnTracked, type TrackedProcess } from '../test/env/processes.ts';
import { GiveUp, waitFor } from '../test/env/wait-for.ts';
import { bundleOperator } from '../build/bundle.ts';
import { chartProcessEnv } from './node-options.ts';
import { root } from './world.ts';

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface OperatorOptions {
  kubeconfig: string;
  namespace: string;
  naive: boolean;
  logDir: string;
  label: string;
  env?: Record<string, string>;
}

export interface OperatorStats {
  peakRssMb: number;
  rssMb: number;
  cpuSeconds: number;
}

/** What the resident memory is made of, from /proc/<pid>/smaps and the process's own V8 figures (MB). */
export interface MemoryMap {
  /** Pages of the node executable (file-backed, shared with other node processes). */
  nodeBinary: number;
  /** glibc malloc's main heap (brk): V8's parser and compiler zones, TLS, HTTP parsing. */
  mallocHeap: number;
  /** Anonymous mappings: V8's heap pages, malloc's other arenas and its blocks above the mmap threshold. */
  anonymous: number;
  other: number;
  v8HeapTotal: number;
  v8HeapUsed: number;
  external: number;
}

export interface OperatorProcess {
  pid: number;
  healthPort: number;
  /** Milliseconds from spawn until /readyz answered 200 (every informer synced). */
  readyMs: number;
  stats(): OperatorStats;
  metrics(): Promise<string>;
  memoryMap(): Promise<MemoryMap>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

let naive: Promise<string> | undefined;

/** The naive baseline (bench/naive-operator.ts) bundled as the shipped operator is, once per run. */
function naiveBundle(): Promise<string> {
  const dir = join(root, '.out/bench/naive');
  naive ??= bundleOperator({ main: join(root, 'bench/naive-operator.ts') }, dir).then(() => join(dir, 'main.js'));
  return naive;
}

export async function startOperatorProcess(o: OperatorOptions): Promise<OperatorProcess> {
  mkdirSync(o.logDir, { recursive: true });
  if (!existsSync(join(root, 'dist/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (scripts/bench.sh does)');
  const healthPort = await freePort();
  const t0 = performance.now();
  const args = [o.naive ? await naiveBundle() : join(root, 'dist/main.js')];
  const proc: TrackedProcess = spawnTracked(`operator-${o.label}`, process.execPath, args, {
    logPath: join(o.logDir, `operator-${o.label}.log`),
    cwd: root,
    env: {
      KUBECONFIG: o.kubeconfig,
      EIO_NAMESPACE: o.namespace,
      EIO_WATCH_NAMESPACES: o.namespace,
      EIO_HEALTH_PORT: String(healthPort),
      EIO_HEALTH_HOST: '127.0.0.1',
      EIO_LOG_LEVEL: 'warn',
      // eucasim listens on loopback, which production refuses.
      EIO_ALLOWED_ENDPOINTS: '127.0.0.0/8',
      ...chartProcessEnv(),
      ...o.env,
    },
  });
  const base = `http://127.0.0.1:${healthPort}`;
  await waitFor(async () => {
    if (proc.hasExited()) throw new GiveUp(`operator exited (${await proc.exited}):\n${proc.logTail(30)}`);
    return (await fetch(`${base}/readyz`)).ok;
  }, { timeoutMs: 300_000, intervalMs: 50, message: 'operator /readyz' });
  const readyMs = performance.now() - t0;
  let last: OperatorStats = { peakRssMb: 0, rssMb: 0, cpuSeconds: 0 };
  const stats = (): OperatorStats => {
    if (proc.hasExited()) return last;
    try {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
      last = { peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024, cpuSeconds: ticks / CLOCK_TICKS };
    } catch { /* exited between the check and the read */ }
    return last;
  };
  return {
    pid: proc.pid,
    healthPort,
    readyMs,
    stats,
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    async memoryMap() {
      const m: MemoryMap = { nodeBinary: 0, mallocHeap: 0, anonymous: 0, other: 0, v8HeapTotal: 0, v8HeapUsed: 0, external: 0 };
      let into: 'nodeBinary' | 'mallocHeap' | 'anonymous' | 'other' = 'other';
      for (const line of readFileSync(`/proc/${proc.pid}/smaps`, 'utf8').split('\n')) {
        const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
        if (mapping) {
          const path = mapping[1]!;
          into = path === '' ? 'anonymous' : path === '[heap]' ? 'mallocHeap' : path === process.execPath ? 'nodeBinary' : 'other';
        } else if (line.startsWith('Rss:')) {
          m[into] += Number(line.split(/\s+/)[1]) / 1024;
        }
      }
      const text = await (await fetch(`${base}/metrics`)).text();
      m.v8HeapTotal = metricSum(text, 'nodejs_heap_size_total_bytes') / 2 ** 20;
      m.v8HeapUsed = metricSum(text, 'nodejs_heap_size_used_bytes') / 2 ** 20;
      m.external = metricSum(text, 'nodejs_external_memory_bytes') / 2 ** 20;
      return m;
    },
    async kill() {
      stats();
      process.kill(proc.pid, 'SIGKILL');
      await proc.exited;
    },
    async stop() {
      stats();
      await proc.stop(10_000);
    },
  };
}

/** Sum of a Prometheus counter or gauge over all its label sets. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
