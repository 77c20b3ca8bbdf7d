// Shared by the InstanceBundle tests: the fixture, seeded instances, manifests and cloud-side
// counts read straight from the simulator.
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { OWNER_TAG } from '../../../src/api/constants.ts';
import type { Condition } from '../../../src/api/types.ts';
import { waitFor } from '../../env/index.ts';
import type { Scenario } from '../support/scenario.ts';

export const BUNDLE_FIXTURES = join(import.meta.dirname, 'fixtures/bundles.yaml');

export function seed(s: Scenario, o: { rootDeviceType?: 'ebs' | 'instance-store'; platform?: 'linux' | 'windows' } = {}) {
  const [instance] = s.sim.state.seedInstances({ count: 1, rootDeviceType: o.rootDeviceType ?? 'instance-store', ...(o.platform ? { platform: o.platform } : {}) });
  return instance!;
}

let counter = 0;
export function uniq(base: string): string {
  return `${base}-${++counter}-${Date.now().toString(36)}`;
}

export function bundleManifest(s: Scenario, instanceId: string, spec: Record<string, unknown> = {}, name = uniq('ib')) {
  return {
    metadata: { name },
    spec: { cloudRef: { name: s.cloudName }, instanceId, storage: { bucket: 'bundles', prefix: name }, ...spec },
  };
}

export function calls(s: Scenario, action: string): number {
  return s.sim.log.count(action);
}

/** EC2/S3 calls per action since `before` (a byAction() snapshot), for the per-flow figures. */
export function callsSince(s: Scenario, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.sim.log.byAction())) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

export function bundleObjects(s: Scenario, bucket: string, prefix: string): string[] {
  const b = s.sim.state.s3.buckets.get(bucket);
  return b ? [...b.objects.keys()].filter((k) => k.startsWith(`${prefix}.`)) : [];
}

export function liveOwned(s: Scenario, name: string) {
  const mine = (tags: Map<string, string>) => (tags.get(OWNER_TAG) ?? '').startsWith(`${s.namespace}/${name}/`);
  const st = s.sim.state;
  return {
    images: [...st.images.values()].filter((i) => i.state !== 'deregistered' && mine(i.tags)),
    snapshots: [...st.snapshots.values()].filter((x) => mine(x.tags)),
    volumes: [...st.volumes.values()].filter((v) => v.status !== 'deleted' && mine(v.tags)),
  };
}

export function tasksOf(s: Scenario, instanceId: string) {
  return [...s.sim.state.bundleTasks.values()].filter((t) => t.instanceId === instanceId);
}

export function condition(obj: { status?: { conditions?: Condition[] } } | undefined, type: string): Condition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until a status field has a value (polling the API server). */
export async function waitForStatus(s: Scenario, plural: 'instancebundles' | 'imagecaptures', name: string, test: (status: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  try {
    await waitFor(async () => {
      last = ((await s.get(plural, name)) as { status?: Record<string, unknown> } | undefined)?.status ?? {};
      return test(last);
    }, { timeoutMs, intervalMs: 50, message: `${plural}/${name} status` });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last)}`, { cause: err });
  }
  return last;
}

export async function killAfter(s: Scenario, child: ChildProcess, action: string, nth: number, count: () => number = () => calls(s, action)): Promise<void> {
  await waitFor(async () => count() >= nth, { timeoutMs: 60_000, intervalMs: 1, message: `${action} to be called` });
  child.kill('SIGKILL');
  await waitFor(async () => child.exitCode !== null || child.signalCode !== null, { timeoutMs: 10_000, intervalMs: 20, message: 'operator to die' });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await waitFor(async () => child.exitCode !== null || child.signalCode !== null, { timeoutMs: 30_000, intervalMs: 50, message: 'operator to stop' });
}
