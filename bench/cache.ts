// Many finished resources in the cache: N ImageCaptures made Available directly (created with the finalizer,
// status written through the status subresource, images seeded in eucasim), then the operator is started,
// and started again after a SIGKILL. Measures its memory with every resource cached and the time of a full
// resync: until /readyz (every informer synced) and until every resource has been reconciled.
import { API_VERSION, FINALIZER } from '../src/api/constants.ts';
import { markReady } from '../src/api/conditions.ts';
import type { ImageCaptureStatus } from '../src/api/types.ts';
import { credentialsId, normalEndpoint } from '../src/controllers/shared/cloud-identity.ts';
import { CONTENT_TYPE, kubeRequest, resourcePath } from '../src/runtime/rest.ts';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../test/env/wait-for.ts';
import { summarizeHeap, type HeapSummary } from './heap-summary.ts';
import { chartNodeOptions } from './node-options.ts';
import { countCalls } from './cloud-calls.ts';
import { metricSum, startOperatorProcess, type OperatorProcess } from './operator-process.ts';
import { DEMO, inParallel, startCloud, waitCloudReady, type World } from './world.ts';

export interface CacheResult {
  n: number;
  seedS: number;
  first: ResyncFigures;
  restart: ResyncFigures;
  /** With BENCH_HEAP_SNAPSHOT=1: what the restarted operator's heap retains once every resource was reconciled. */
  heap?: HeapSummary;
}

interface ResyncFigures {
  readyS: number;
  reconciledS: number;
  peakRssMb: number;
  rssMb: number;
  cpuSeconds: number;
  cloudCalls: Record<string, number>;
}

/**
 * SIGUSR2 makes the operator (started with --heapsnapshot-signal) write a snapshot on its main thread; /metrics
 * answers again once it is written. Taken after the RSS figures were read: writing it costs memory too.
 */
async function heapSnapshot(op: OperatorProcess, dir: string): Promise<HeapSummary> {
  process.kill(op.pid, 'SIGUSR2');
  let file: string | undefined;
  await waitFor(async () => {
    file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && f.includes(`.${op.pid}.`));
    return file !== undefined && (await op.metrics()).length > 0;
  }, { timeoutMs: 300_000, intervalMs: 1_000, message: 'heap snapshot written' });
  return summarizeHeap(join(dir, file!));
}

export async function runCache(world: World, n: number, logDir: string, timeoutMs: number): Promise<CacheResult> {
  const snapshot = process.env.BENCH_HEAP_SNAPSHOT === '1';
  const snapshotDir = join(logDir, 'heap');
  if (snapshot) mkdirSync(snapshotDir, { recursive: true });
  const cloud = await startCloud(world, `cache-${n}`, { latency: 'zero', rateLimit: { qps: 500, burst: 100 }, images: n });
  const imageIds = new Map([...cloud.sim.state.images.values()].map((i) => [i.name, i.id]));
  // As the operator leaves a capture it made: with the identity of the cloud it was made in.
  const identity = { endpoint: normalEndpoint(cloud.sim.url), region: 'eucalyptus', accountId: DEMO.accountId, credentials: credentialsId(DEMO.accessKeyId) };
  const t0 = performance.now();
  // Two requests per resource on one keep-alive connection pool (the library's typed client opens a connection
  // per call), 64 at a time: seeding 10,000 takes about a minute instead of four.
  const collection = resourcePath({ apiVersion: API_VERSION, plural: 'imagecaptures', namespace: cloud.namespace });
  await inParallel(Array.from({ length: n }, (_, i) => i), 64, async (i) => {
    const name = `done-${i}`;
    await kubeRequest(world.plane.kubeConfig, 'POST', collection, {
      body: {
        apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name, finalizers: [FINALIZER] },
        spec: { cloudRef: { name: cloud.cloudName }, instanceId: 'i-00000000', noReboot: true, image: { name: `seeded-${i}` } },
      },
    });
    const now = new Date().toISOString();
    const imageId = imageIds.get(`seeded-${i}`);
    const available: ImageCaptureStatus = { phase: 'Available', strategy: 'CreateImage', imageId, progress: 100, startedAt: now, completedAt: now, cloud: identity };
    const status = { ...markReady(available, `image ${imageId} is available`, 1), observedGeneration: 1 };
    await kubeRequest(world.plane.kubeConfig, 'PATCH', `${collection}/${name}/status`, {
      body: { status }, contentType: CONTENT_TYPE.mergePatch,
    });
  });
  const seedS = (performance.now() - t0) / 1000;
  const calls = countCalls(cloud.sim);
  const measure = async (label: string, kill?: OperatorProcess): Promise<[ResyncFigures, OperatorProcess]> => {
    if (kill) await kill.kill();
    calls.reset();
    const started = performance.now();
    const env = snapshot ? { NODE_OPTIONS: `${chartNodeOptions()} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}` } : undefined;
    const op = await startOperatorProcess({ kubeconfig: world.plane.kubeconfigPath, namespace: cloud.namespace, naive: false, logDir, label, env });
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
    const heap = snapshot ? await heapSnapshot(op2, snapshotDir) : undefined;
    return { n, seedS, first, restart, ...(heap ? { heap } : {}) };
  } finally {
    await op?.stop();
    await cloud.close();
  }
}
