// Helpers for the reliability tests: operator processes with their output kept, the Lease holder, and a wait
// until every tracked resource has settled (Ready, Stalled, or gone).
import { spawn, type ChildProcess } from 'node:child_process';
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { join } from 'node:path';
import { OWNER_TAG, ownerTagValue } from '../../../src/api/constants.ts';
import type { Condition, ImageCapture } from '../../../src/api/types.ts';
import { runId, waitFor } from '../../env/index.ts';
import type { Scenario } from '../support/scenario.ts';
import type { TrackedResource } from './invariants.ts';

const root = join(import.meta.dirname, '../../..');

export interface OperatorProcess {
  child: ChildProcess;
  /** EIO_IDENTITY it runs with (its Lease holder name), if set. */
  identity?: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** Like scenario.startOperatorProcess, but keeps stdout and stderr (the security test reads them). */
export function spawnOperator(s: Scenario, env: Record<string, string> = {}): OperatorProcess {
  const chunks: Buffer[] = [];
  const child = spawn(process.execPath, [join(root, 'src/main.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      EIO_TEST_RUN: runId(),
      KUBECONFIG: s.env.kubeconfigPath,
      EIO_NAMESPACE: s.namespace,
      EIO_WATCH_NAMESPACES: s.namespace,
      EIO_HEALTH_PORT: '0',
      EIO_HEALTH_HOST: '127.0.0.1',
      EIO_REBOOT_SETTLE: '200ms',
      EIO_POLL_MIN: '100ms',
      EIO_POLL_MAX: '1s',
      EIO_LOG_LEVEL: 'warn',
      EIO_ALLOWED_ENDPOINTS: '127.0.0.0/8',
      ...env,
    },
  });
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const end = async (signal: NodeJS.Signals) => {
    if (exited()) return;
    child.kill(signal);
    await waitFor(exited, { timeoutMs: 30_000, intervalMs: 20, message: `operator to exit after ${signal}` });
  };
  return { child, ...(env.EIO_IDENTITY ? { identity: env.EIO_IDENTITY } : {}), output: () => Buffer.concat(chunks).toString('utf8'), stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/** The identity holding the operator's Lease in the scenario namespace, if any. */
export async function leaseHolder(s: Scenario, lease = 'eucalyptus-image-operator'): Promise<string | undefined> {
  const r = await s.env.kubectl(['get', 'lease', lease, '-n', s.namespace, '-o', 'jsonpath={.spec.holderIdentity}']);
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

function settled(obj: { status?: { conditions?: Condition[] } } | undefined): boolean {
  const c = obj?.status?.conditions ?? [];
  return c.some((x) => (x.type === 'Ready' || x.type === 'Stalled') && x.status === 'True');
}

/** Waits until every tracked resource is Ready or Stalled, and every deleted one is gone. */
export async function waitSettled(s: Scenario, resources: TrackedResource[], timeoutMs = 120_000): Promise<void> {
  let waiting: string[] = [];
  try {
    await waitFor(async () => {
      waiting = [];
      for (const r of resources) {
        const obj = await s.get<{ status?: { conditions?: Condition[] } } & { metadata?: object }>(r.plural, r.name);
        if (r.deleted ? obj !== undefined : !settled(obj)) {
          const why = (obj?.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}=${c.reason}: ${c.message}`);
          waiting.push(`${r.plural}/${r.name}${r.deleted ? ' (deleted)' : ''} [${why.join('; ')}]`);
        }
      }
      return waiting.length === 0;
    }, { timeoutMs, intervalMs: 250, message: 'every resource to settle' });
  } catch (err) {
    throw new Error(`${(err as Error).message}; still waiting for ${waiting.join(', ')}`, { cause: err });
  }
}

/** Counts of creating calls in the simulator's request log, for the one-writer checks. */
export function createCalls(s: Scenario): Record<string, number> {
  const by = s.sim.log.byAction();
  const pick = ['CreateImage', 'RegisterImage', 'CreateSnapshot', 'BundleInstance', 'RebootInstances'];
  return Object.fromEntries(pick.map((a) => [a, by[a] ?? 0]));
}

export function diffCalls(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

export type Cond = { type: string; status: string; reason: string; message: string };
export type WithStatus = { metadata?: { name?: string }; status?: Record<string, unknown> & { conditions?: Cond[] } };

/** A condition of any object read from the API server. */
export function condOf(o: unknown, type: string): Cond | undefined {
  return ((o as WithStatus | undefined)?.status?.conditions ?? []).find((c) => c.type === type);
}

/** The Events of one object of the scenario's namespace. */
export async function eventsOf(s: Scenario, name: string): Promise<CoreV1Event[]> {
  const core = s.env.kubeConfig.makeApiClient(CoreV1Api);
  return (await core.listNamespacedEvent({ namespace: s.namespace, fieldSelector: `involvedObject.name=${name}` })).items;
}

/**
 * Whether the cloud holds at least `count` snapshots carrying this capture's owner tag. Status records snapshot
 * ids only with the next real status change (snapshots completed), so "snapshots started" is read from the cloud.
 */
export async function snapshotsInCloud(s: Scenario, name: string, count: number): Promise<boolean> {
  const obj = await s.get<ImageCapture>('imagecaptures', name);
  if (!obj?.metadata?.uid) return false;
  const owner = ownerTagValue(obj);
  return [...s.sim.state.snapshots.values()].filter((x) => x.tags.get(OWNER_TAG) === owner).length >= count;
}
