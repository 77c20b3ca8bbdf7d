// Many finished resources in the cache: N ImageCaptures made Available directly (created with the finalizer,
// status written through the status subresource, images seeded in eucasim), then the operator is started,
// and started again after a SIGKILL. Measures its memory with every resource cached and the time of a full
// resync: until /readyz (every informer synced) and until every resource has been reconciled and its image
// looked at once. The seeded statuses are those the operator itself leaves: one capture is first taken through
// the operator, and each seed gets a copy of its status with its own image id and creating call signed for it
// with the operator's checkpoint key, so the cache holds what a real install holds.
import { API_VERSION, FINALIZER } from '../src/api/constants.ts';
import type { ImageCapture, ImageCaptureStatus } from '../src/api/types.ts';
import { DEFAULTS } from '../src/config.ts';
import { callParams } from '../src/controllers/imagecapture/ownership.ts';
import { CreateCallSigner } from '../src/controllers/shared/create-calls.ts';
import { CHECKPOINT_KEY_FIELD } from '../src/runtime/checkpoint-key.ts';
import { CONTENT_TYPE, kubeRequest, resourcePath } from '../src/runtime/rest.ts';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../test/env/wait-for.ts';
import { summarizeHeap, type HeapSummary } from './heap-summary.ts';
import { chartNodeOptions } from './node-options.ts';
import { countCalls } from './cloud-calls.ts';
import { metricSum, startOperatorProcess, type MemoryMap, type OperatorProcess } from './operator-process.ts';
import { inParallel, startCloud, waitCloudReady, type Cloud, type World } from './world.ts';

export interface CacheResult {
  n: number;
  seedS: number;
  first: ResyncFigures;
  /** One start after a SIGKILL each (BENCH_CACHE_RESTARTS, default 3): how much the figures vary from start to start. */
  restarts: ResyncFigures[];
  /** With BENCH_HEAP_SNAPSHOT=1: what the last restarted operator's heap retains once every resource was reconciled. */
  heap?: HeapSummary;
}

interface ResyncFigures {
  readyS: number;
  reconciledS: number;
  peakRssMb: number;
  rssMb: number;
  cpuSeconds: number;
  cloudCalls: Record<string, number>;
  /** What the RSS was made of once every resource was reconciled. */
  memory: MemoryMap;
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

/**
 * One capture taken through the operator (CreateImage, with one attached volume): the status every seed copies,
 * and the key its creating calls are signed with.
 */
async function finishedCapture(world: World, cloud: Cloud, logDir: string, timeoutMs: number): Promise<{ obj: ImageCapture; key: Buffer }> {
  const [instance] = cloud.sim.state.seedInstances({ count: 1, rootDeviceType: 'ebs', attachedVolumes: 1 });
  const op = await startOperatorProcess({ kubeconfig: world.plane.kubeconfigPath, namespace: cloud.namespace, naive: false, logDir, label: 'cache-template' });
  const collection = resourcePath({ apiVersion: API_VERSION, plural: 'imagecaptures', namespace: cloud.namespace });
  try {
    await kubeRequest(world.plane.kubeConfig, 'POST', collection, {
      body: { apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name: 'template' }, spec: { cloudRef: { name: cloud.cloudName }, instanceId: instance!.id, noReboot: true, strategy: 'CreateImage', image: { name: 'template' } } },
    });
    let obj: ImageCapture | undefined;
    await waitFor(async () => {
      obj = await kubeRequest<ImageCapture>(world.plane.kubeConfig, 'GET', `${collection}/template`);
      return obj.status?.phase === 'Available' && obj.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    }, { timeoutMs, intervalMs: 200, message: 'template capture Available' });
    // Whatever the operator still holds back (minor changes) is written by now: read the capture once more after a pause.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    obj = await kubeRequest<ImageCapture>(world.plane.kubeConfig, 'GET', `${collection}/template`);
    const secret = await kubeRequest<{ data: Record<string, string> }>(world.plane.kubeConfig, 'GET', resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: cloud.namespace, name: DEFAULTS.checkpointKeySecret }));
    await kubeRequest(world.plane.kubeConfig, 'DELETE', `${collection}/template`);
    await waitFor(async () => {
      try {
        await kubeRequest(world.plane.kubeConfig, 'GET', `${collection}/template`);
        return false;
      } catch {
        return true;
      }
    }, { timeoutMs, intervalMs: 200, message: 'template capture deleted' });
    return { obj, key: Buffer.from(secret.data[CHECKPOINT_KEY_FIELD]!, 'base64') };
  } finally {
    await op.stop();
  }
}

/** The template's status for a seed: its own image id wherever the template's appears, its creating call signed for it. */
function seedStatus(template: ImageCapture, seed: ImageCapture, imageId: string, signer: CreateCallSigner): ImageCaptureStatus {
  const status = JSON.parse(JSON.stringify(template.status).replaceAll(template.status!.imageId!, imageId)) as ImageCaptureStatus;
  const target = { obj: seed, status: { ...status, createCalls: [] } };
  for (const call of template.status!.createCalls ?? []) {
    signer.pending(target, call.call, callParams(seed), new Date(call.at));
    if (call.id) signer.succeeded(target, call.call, callParams(seed), call.id.replaceAll(template.status!.imageId!, imageId));
  }
  return target.status;
}

export async function runCache(world: World, n: number, logDir: string, timeoutMs: number): Promise<CacheResult> {
  const snapshot = process.env.BENCH_HEAP_SNAPSHOT === '1';
  const snapshotDir = join(logDir, 'heap');
  if (snapshot) mkdirSync(snapshotDir, { recursive: true });
  const cloud = await startCloud(world, `cache-${n}`, { latency: 'zero', rateLimit: { qps: 500, burst: 100 }, images: n });
  const imageIds = new Map([...cloud.sim.state.images.values()].map((i) => [i.name, i.id]));
  const template = await finishedCapture(world, cloud, logDir, timeoutMs);
  const signer = new CreateCallSigner(template.key);
  const t0 = performance.now();
  // Two requests per resource on one keep-alive connection pool (the library's typed client opens a connection
  // per call), 64 at a time: seeding 10,000 takes about a minute instead of four.
  const collection = resourcePath({ apiVersion: API_VERSION, plural: 'imagecaptures', namespace: cloud.namespace });
  await inParallel(Array.from({ length: n }, (_, i) => i), 64, async (i) => {
    const name = `done-${i}`;
    const seed = await kubeRequest<ImageCapture>(world.plane.kubeConfig, 'POST', collection, {
      body: {
        apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name, finalizers: [FINALIZER] },
        spec: { ...template.obj.spec, image: { name: `seeded-${i}` } },
      },
    });
    const status = seedStatus(template.obj, seed, imageIds.get(`seeded-${i}`)!, signer);
    await kubeRequest(world.plane.kubeConfig, 'PATCH', `${collection}/${name}/status`, {
      body: { status }, contentType: CONTENT_TYPE.mergePatch,
    });
  });
  const seedS = (performance.now() - t0) / 1000;
  const calls = countCalls(cloud.sim);
  // The seeded images the operator has looked at since it started: a finished capture checks its image once.
  const described = new Set<string>();
  const log = cloud.sim.log.add.bind(cloud.sim.log);
  cloud.sim.log.add = (entry) => {
    log(entry);
    if (entry.action !== 'DescribeImages') return;
    for (const [k, v] of Object.entries(entry.params)) if (k.startsWith('ImageId.')) described.add(v);
  };
  const measure = async (label: string, kill?: OperatorProcess): Promise<[ResyncFigures, OperatorProcess]> => {
    if (kill) await kill.kill();
    calls.reset();
    described.clear();
    const started = performance.now();
    const env = snapshot ? { NODE_OPTIONS: `${chartNodeOptions()} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}` } : undefined;
    const op = await startOperatorProcess({ kubeconfig: world.plane.kubeconfigPath, namespace: cloud.namespace, naive: false, logDir, label, env });
    let last = -1;
    // Done when every resource was reconciled and its image looked at, the queue is empty and nothing moved for a sample.
    await waitFor(async () => {
      const text = await op.metrics();
      const reconciled = metricSum(text, 'eio_reconcile_total');
      const depth = metricSum(text, 'eio_workqueue_depth');
      const settled = reconciled >= n && described.size >= n && depth === 0 && reconciled === last;
      last = reconciled;
      return settled;
    }, { timeoutMs, intervalMs: 500, message: `${n} cached captures reconciled` });
    const stats = op.stats();
    const memory = await op.memoryMap();
    return [{
      readyS: op.readyMs / 1000,
      reconciledS: (performance.now() - started) / 1000,
      peakRssMb: stats.peakRssMb, rssMb: stats.rssMb, cpuSeconds: stats.cpuSeconds,
      cloudCalls: calls.snapshot().byAction,
      memory,
    }, op];
  };
  let op: OperatorProcess | undefined;
  try {
    const [first, op1] = await measure(`cache-${n}-a`);
    op = op1;
    await waitCloudReady(world, cloud);
    const restarts: ResyncFigures[] = [];
    for (let i = 0; i < Math.max(1, Number(process.env.BENCH_CACHE_RESTARTS ?? 3)); i++) {
      const [figures, next] = await measure(`cache-${n}-restart-${i + 1}`, op);
      restarts.push(figures);
      op = next;
    }
    const heap = snapshot ? await heapSnapshot(op, snapshotDir) : undefined;
    return { n, seedS, first, restarts, ...(heap ? { heap } : {}) };
  } finally {
    await op?.stop();
    await cloud.close();
  }
}
