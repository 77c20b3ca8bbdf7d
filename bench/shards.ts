// Sharding at scale: N ImageCaptures spread evenly over the main shard and shards a and b (the
// imaging.eucalyptus.dev/shard label), three operator processes with leader election against one API server and one
// eucasim cloud. Figures per shard (its resources, its cloud calls from its own /metrics, peak RSS, CPU, wall time
// until its last resource was Ready) and the proof of one writer per resource: each shard writes under its own
// field manager, so the managedFields the API server recorded name every shard that wrote a resource.
import { GROUP, VERSION } from '../src/api/constants.ts';
import { SHARD_LABEL, shardSuffix } from '../src/api/shard.ts';
import { FIELD_MANAGER } from '../src/runtime/rest.ts';
import { diffCounts, requestCounts, totals } from './apiserver-metrics.ts';
import { countCalls } from './cloud-calls.ts';
import { createAll, pct, prepareResources, SCALED_REALISTIC } from './flow.ts';
import { metricSum, startOperatorProcess, type OperatorProcess } from './operator-process.ts';
import { trackReadiness } from './readiness.ts';
import { startCloud, waitCloudReady, type World } from './world.ts';

/** The shards of the run: undefined is the main shard (resources without the label). */
export const SHARDS: Array<string | undefined> = [undefined, 'a', 'b'];

export interface ShardFigures {
  shard: string;
  resources: number;
  /** Resources whose managedFields name this shard's field manager (and no other). */
  reconciled: number;
  cloudCalls: number;
  callsPerResource: number;
  peakRssMb: number;
  cpuSeconds: number;
  wallS: number;
  p50S: number;
  p95S: number;
}

export interface ShardsResult {
  n: number;
  latency: 'realistic';
  shards: ShardFigures[];
  wallS: number;
  /** Resources whose managedFields name more than one shard: must be 0. */
  reconciledByTwo: number;
  /** Resources written by a shard other than the one their label names, or by none: must be 0. */
  misplaced: number;
  cloudCallsTotal: number;
  /** eucasim's own count of the same calls, to check the shards' figures add up. */
  cloudCallsSeen: number;
  apiWritesPerResource: number;
}

const shardName = (shard: string | undefined) => shard ?? 'main';
const managerOf = (shard: string | undefined) => FIELD_MANAGER + shardSuffix(shard);

export async function runShards(world: World, n: number, rateLimit: { qps: number; burst: number }, logDir: string, timeoutMs: number): Promise<ShardsResult> {
  const cloud = await startCloud(world, `shards-${n}`, { latency: SCALED_REALISTIC, rateLimit });
  const bodies = prepareResources(cloud, 'captures', n);
  const shardOf = new Map<string, string | undefined>();
  bodies.forEach((body, i) => {
    const shard = SHARDS[i % SHARDS.length];
    const meta = body.metadata as { name: string; labels?: Record<string, string> };
    if (shard) meta.labels = { [SHARD_LABEL]: shard };
    shardOf.set(meta.name, shard);
  });
  const ops: OperatorProcess[] = [];
  try {
    for (const shard of SHARDS) {
      ops.push(await startOperatorProcess({
        kubeconfig: world.plane.kubeconfigPath, namespace: cloud.namespace, naive: false, logDir, label: `shards-${n}-${shardName(shard)}`,
        env: { EIO_LEADER_ELECT: 'true', EIO_IDENTITY: `bench-${shardName(shard)}`, ...(shard ? { EIO_SHARD: shard } : {}) },
      }));
    }
    // The unlabelled CloudProfile is checked by the main shard; the others read its status.
    await waitCloudReady(world, cloud);
    const tracker = await trackReadiness(world, cloud.namespace, 'imagecaptures');
    const calls = countCalls(cloud.sim);
    const callsBefore = await Promise.all(ops.map(async (op) => metricSum(await op.metrics(), 'eio_cloud_calls_total')));
    const cpuBefore = ops.map((op) => op.stats().cpuSeconds);
    const apiBefore = await requestCounts(world);
    cloud.sim.log.clear();
    const t0 = performance.now();
    const createdAt = await createAll(world, cloud.namespace, 'captures', bodies);
    const names = [...createdAt.keys()];
    await tracker.waitAll(names, timeoutMs);
    tracker.stop();
    const apiAfter = await requestCounts(world);
    const callsAfter = await Promise.all(ops.map(async (op) => metricSum(await op.metrics(), 'eio_cloud_calls_total')));
    const api = diffCounts(apiAfter, apiBefore);
    const createKey = Object.keys(api).find((k) => /^(POST|CREATE) /.test(k) && k.endsWith(' imagecaptures'));
    if (createKey) api[createKey] = api[createKey]! - n;
    const writers = await operatorWriters(world, cloud.namespace);

    let reconciledByTwo = 0;
    let misplaced = 0;
    const reconciledBy = new Map<string, number>();
    for (const name of names) {
      const w = writers.get(name) ?? [];
      if (w.length > 1) reconciledByTwo++;
      if (w.length !== 1 || w[0] !== managerOf(shardOf.get(name))) misplaced++;
      if (w.length === 1) reconciledBy.set(w[0]!, (reconciledBy.get(w[0]!) ?? 0) + 1);
    }
    const shards = SHARDS.map((shard, i): ShardFigures => {
      const mine = names.filter((x) => shardOf.get(x) === shard);
      const times = mine.map((x) => (tracker.readyAt.get(x)! - createdAt.get(x)!) / 1000).sort((a, b) => a - b);
      const stats = ops[i]!.stats();
      const cloudCalls = callsAfter[i]! - callsBefore[i]!;
      return {
        shard: shardName(shard),
        resources: mine.length,
        reconciled: reconciledBy.get(managerOf(shard)) ?? 0,
        cloudCalls,
        callsPerResource: mine.length ? cloudCalls / mine.length : 0,
        peakRssMb: stats.peakRssMb,
        cpuSeconds: stats.cpuSeconds - cpuBefore[i]!,
        wallS: (Math.max(...mine.map((x) => tracker.readyAt.get(x)!)) - t0) / 1000,
        p50S: pct(times, 50),
        p95S: pct(times, 95),
      };
    });
    return {
      n,
      latency: 'realistic',
      shards,
      wallS: Math.max(...shards.map((s) => s.wallS)),
      reconciledByTwo,
      misplaced,
      cloudCallsTotal: shards.reduce((sum, s) => sum + s.cloudCalls, 0),
      cloudCallsSeen: calls.snapshot().total,
      apiWritesPerResource: totals(api).writes / n,
    };
  } finally {
    for (const op of ops) await op.stop();
    await cloud.close();
  }
}

/** The operator field managers (one per shard) in each capture's managedFields, read from the API server in pages. */
async function operatorWriters(world: World, namespace: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let cont: string | undefined;
  do {
    const page = await world.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'imagecaptures', limit: 500, _continue: cont }) as {
      items: Array<{ metadata: { name: string; managedFields?: Array<{ manager?: string }> } }>;
      metadata?: { continue?: string };
    };
    for (const item of page.items) {
      const managers = new Set((item.metadata.managedFields ?? []).map((f) => f.manager ?? '').filter((m) => m.startsWith(FIELD_MANAGER)));
      out.set(item.metadata.name, [...managers].sort());
    }
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return out;
}
