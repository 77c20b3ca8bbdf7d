// Many finished resources in the cache: N ImageCaptures made Available directly (created with the finalizer,
// status written through the status subresource, images seeded in eucasim), then the operator is started,
// and started again after a SIGKILL. Measures its memory with every resource cached and the time of a full
// resync: until /readyz (every informer synced) and until every resource has been reconciled.
import { API_VERSION, FINALIZER, GROUP, VERSION } from '../src/api/constants.ts';
import { markReady } from '../src/api/conditions.ts';
import type { ImageCaptureStatus } from '../src/api/types.ts';
import { waitFor } from '../test/env/wait-for.ts';
import { countCalls } from './cloud-calls.ts';
import { metricSum, startOperatorProcess, type OperatorProcess } from './operator-process.ts';
import { inParallel, startCloud, waitCloudReady, type World } from './world.ts';

export interface CacheResult {
  n: number;
  seedS: number;
  first: ResyncFigures;
  restart: ResyncFigures;
}

interface ResyncFigures {
  readyS: number;
  reconciledS: number;
  peakRssMb: number;
  rssMb: number;
  cpuSeconds: number;
  cloudCalls: Record<string, number>;
}

export async function runCache(world: World, n: number, logDir: string, timeoutMs: number): Promise<CacheResult> {
  const cloud = await startCloud(world, `cache-${n}`, { latency: 'zero', rateLimit: { qps: 500, burst: 100 }, images: n });
  const imageIds = new Map([...cloud.sim.state.images.values()].map((i) => [i.name, i.id]));
  const t0 = performance.now();
  await inParallel(Array.from({ length: n }, (_, i) => i), 32, async (i) => {
    const name = `done-${i}`;
    await world.custom.createNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace: cloud.namespace, plural: 'imagecaptures',
      body: {
        apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name, finalizers: [FINALIZER] },
        spec: { cloudRef: { name: cloud.cloudName }, instanceId: 'i-00000000', noReboot: true, image: { name: `seeded-${i}` } },
      },
    });
    const now = new Date().toISOString();
    const imageId = imageIds.get(`seeded-${i}`);
    const available: ImageCaptureStatus = { phase: 'Available', strategy: 'CreateImage', imageId, progress: 100, startedAt: now, completedAt: now };
    const status = { ...markReady(available, `image ${imageId} is available`, 1), observedGeneration: 1 };
    await world.custom.patchNamespacedCustomObjectStatus({
      group: GROUP, version: VERSION, namespace: cloud.namespace, plural: 'imagecaptures', name,
      body: [{ op: 'add', path: '/status', value: status }],
    });
  });
  const seedS = (performance.now() - t0) / 1000;
  const calls = countCalls(cloud.sim);
  const measure = async (label: string, kill?: OperatorProcess): Promise<[ResyncFigures, OperatorProcess]> => {
    if (kill) await kill.kill();
    calls.reset();
    const started = performance.now();
    const op = await startOperatorProcess({ kubeconfig: world.plane.kubeconfigPath, namespace: cloud.namespace, naive: false, logDir, label });
    let last = -1;
    // Done when every resource was reconciled at least once, the queue is empty and nothing moved for a sample.
    await waitFor(async () => {
      const text = await op.metrics();
      const reconciled = metricSum(text, 'eio_reconcile_total');
      const depth = metricSum(text, 'eio_workqueue_depth');
      const settled = reconciled >= n && depth === 0 && reconciled === last;
      last = reconciled;
      return settled;
    }, { timeoutMs, intervalMs: 500, message: `${n} cached captures reconciled` });
    const stats = op.stats();
    return [{
      readyS: op.readyMs / 1000,
      reconciledS: (performance.now() - started) / 1000,
      peakRssMb: stats.peakRssMb, rssMb: stats.rssMb, cpuSeconds: stats.cpuSeconds,
      cloudCalls: calls.snapshot().byAction,
    }, op];
  };
  let op: OperatorProcess | undefined;
  try {
    const [first, op1] = await measure(`cache-${n}-a`);
    op = op1;
    await waitCloudReady(world, cloud);
    const [restart, op2] = await measure(`cache-${n}-b`, op1);
    op = op2;
    return { n, seedS, first, restart };
  } finally {
    await op?.stop();
    await cloud.close();
  }
}
