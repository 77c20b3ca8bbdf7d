// The benchmark's world: one control plane for the whole run (with the project CRDs), and per scenario a fresh
// namespace holding a eucasim cloud's Secret and CloudProfile. eucasim runs in this process so its request log
// can be read directly; the operator runs as a child process (operator-process.ts) so its RSS and CPU are its own.
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION } from '../src/api/constants.ts';
import { startEucasim, type Eucasim } from '../sim/server.ts';
import type { FixtureDoc } from '../sim/fixtures.ts';
import type { LatencyConfig } from '../sim/latency.ts';
import { startControlPlane, type ControlPlane } from '../test/env/control-plane.ts';
import { runCommand } from '../test/env/run-command.ts';
import { waitFor } from '../test/env/wait-for.ts';

export const root = join(import.meta.dirname, '..');
export const DEMO = { accountId: '000100020003', name: 'demo', accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'demo-secret-key-please-change' };

export interface World {
  plane: ControlPlane;
  custom: CustomObjectsApi;
  kubectl(args: string[], input?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const plane = await startControlPlane();
  const kubectl = async (args: string[], input?: string) => {
    const r = await runCommand(join(plane.binDir, 'kubectl'), ['--kubeconfig', plane.kubeconfigPath, ...args], input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  await kubectl(['apply', '--server-side', '-f', join(root, 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(root, 'crds')]);
  return { plane, custom: plane.kubeConfig.makeApiClient(CustomObjectsApi), kubectl, close: () => plane.stop() };
}

export interface CloudOptions {
  latency: 'zero' | Partial<LatencyConfig>;
  rateLimit: { qps: number; burst: number };
  /** Images the fixture creates (for captures that are already Available). */
  images?: number;
}

export interface Cloud {
  namespace: string;
  sim: Eucasim;
  cloudName: string;
  close(): Promise<void>;
}

let nsCounter = 0;

/** A namespace with a eucasim cloud, its Secret and CloudProfile (bucket `bundles` for InstanceBundles). */
export async function startCloud(world: World, label: string, o: CloudOptions): Promise<Cloud> {
  const namespace = `bench-${label}-${++nsCounter}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 60);
  await world.plane.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const fixtures: FixtureDoc = {
    region: 'eucalyptus',
    zones: ['zone-a', 'zone-b'],
    accounts: [DEMO],
    buckets: [{ name: 'bundles', account: 'demo' }],
    images: Array.from({ length: o.images ?? 0 }, (_, i) => ({ name: `seeded-${i}`, account: 'demo', rootDeviceType: 'ebs' as const, rootSnapshotSize: 1 })),
  };
  const sim = await startEucasim({ port: 0, profile: 'eucalyptus-3.4', fixtures, latency: o.latency, logCapacity: 1_000 });
  const cloudName = 'cloud';
  await world.kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cloud-credentials' }, stringData: { accessKeyId: DEMO.accessKeyId, secretAccessKey: DEMO.secretAccessKey } },
      {
        apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: cloudName },
        spec: { ec2Endpoint: sim.url, s3Endpoint: sim.s3Url, region: 'eucalyptus', credentialsSecretRef: { name: 'cloud-credentials' }, rateLimit: o.rateLimit },
      },
    ],
  }));
  return { namespace, sim, cloudName, close: () => sim.close() };
}

/** Waits for the CloudProfile to report Ready (the operator has checked the credentials). */
export async function waitCloudReady(world: World, cloud: Cloud, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => {
    const p = await world.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cloud.namespace, plural: 'cloudprofiles', name: cloud.cloudName }) as { status?: { conditions?: Array<{ type: string; status: string }> } };
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }, { timeoutMs, intervalMs: 200, message: 'CloudProfile Ready' });
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
