// Watches one kind in one namespace and records when each resource first reports Ready=True. One watch
// request for the whole scenario, so the benchmark's own load on the API server stays negligible.
import { Watch } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../src/api/constants.ts';
import { waitFor } from '../test/env/wait-for.ts';
import type { World } from './world.ts';

interface Watched {
  metadata?: { name?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

export interface ReadinessTracker {
  /** Time (performance.now()) each resource was first seen Ready. */
  readyAt: Map<string, number>;
  /** Latest Stalled message per resource, to explain a scenario that never finishes. */
  stalled: Map<string, string>;
  waitAll(names: string[], timeoutMs: number): Promise<void>;
  stop(): void;
}

export async function trackReadiness(world: World, namespace: string, plural: string): Promise<ReadinessTracker> {
  const readyAt = new Map<string, number>();
  const stalled = new Map<string, string>();
  let stopped = false;
  let abort: AbortController | undefined;
  const start = async (): Promise<void> => {
    abort = await new Watch(world.plane.kubeConfig).watch(`/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`, {},
      (_type: string, obj: Watched) => {
        const name = obj.metadata?.name;
        if (!name) return;
        const conds = obj.status?.conditions ?? [];
        if (!readyAt.has(name) && conds.some((c) => c.type === 'Ready' && c.status === 'True')) readyAt.set(name, performance.now());
        const s = conds.find((c) => c.type === 'Stalled' && c.status === 'True');
        if (s) stalled.set(name, `${s.reason}: ${s.message}`);
      },
      // A watch the server closes is opened again (the initial ADDED events repeat; readyAt keeps first times).
      () => { if (!stopped) void start(); });
  };
  await start();
  return {
    readyAt,
    stalled,
    async waitAll(names, timeoutMs) {
      try {
        await waitFor(() => names.every((n) => readyAt.has(n)), { timeoutMs, intervalMs: 100, message: `${names.length} ${plural} Ready` });
      } catch (err) {
        const missing = names.filter((n) => !readyAt.has(n));
        const why = [...new Set(missing.map((n) => stalled.get(n)).filter(Boolean))].slice(0, 3).join('; ');
        throw new Error(`${(err as Error).message}: ${missing.length} not Ready${why ? ` (stalled: ${why})` : ''}`, { cause: err });
      }
    },
    stop() {
      stopped = true;
      abort?.abort();
    },
  };
}
