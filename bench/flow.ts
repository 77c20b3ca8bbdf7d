// One measured flow: N ImageCaptures (half Orchestrated, half CreateImage, noReboot) or N InstanceBundles
// applied at once against a fresh eucasim cloud, in batched or naive polling mode. Measures wall time,
// per-resource time to Ready, cloud calls by action, API-server requests and the operator's memory and CPU.
import { API_VERSION, GROUP, VERSION } from '../src/api/constants.ts';
import type { LatencyConfig } from '../sim/latency.ts';
import { diffCounts, requestCounts, totals } from './apiserver-metrics.ts';
import { countCalls } from './cloud-calls.ts';
import { startOperatorProcess, type OperatorStats } from './operator-process.ts';
import { trackReadiness } from './readiness.ts';
import { inParallel, startCloud, waitCloudReady, type Cloud, type World } from './world.ts';

export type FlowKind = 'captures' | 'bundles';
export type LatencyName = 'zero' | 'realistic';

/** eucasim's realistic profile at half its durations, so a 1,000-resource run stays within minutes. */
export const SCALED_REALISTIC: Partial<LatencyConfig> = {
  instanceMs: 1_000, snapshotMs: 2_500, imageMs: 750, bundleStepMs: 2_000, conversionMs: 4_000, jitter: 0.3,
};

export interface FlowOptions {
  kind: FlowKind;
  n: number;
  latency: LatencyName;
  naive: boolean;
  rateLimit: { qps: number; burst: number };
  logDir: string;
  timeoutMs: number;
  operatorEnv?: Record<string, string>;
}

export interface FlowResult {
  scenario: string;
  kind: FlowKind;
  n: number;
  latency: LatencyName;
  mode: 'batched' | 'naive';
  wallS: number;
  p50S: number;
  p95S: number;
  maxS: number;
  cloudCalls: { byAction: Record<string, number>; poll: number; flow: number; total: number };
  callsPerResource: number;
  pollPerResource: number;
  flowPerResource: number;
  /** (poll + flow) / flow: the design's target is at most 1.25. */
  pollOverhead: number;
  apiRequests: Record<string, number>;
  apiPerResource: number;
  apiWritesPerResource: number;
  peakCloudRps: number;
  operator: OperatorStats;
  /** CPU seconds spent during the flow (after startup). */
  cpuSecondsInFlow: number;
}

export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const plurals: Record<FlowKind, string> = { captures: 'imagecaptures', bundles: 'instancebundles' };
const kinds: Record<FlowKind, string> = { captures: 'ImageCapture', bundles: 'InstanceBundle' };

/** Instances and manifests for N resources of a kind (names `r-<i>`). */
export function prepareResources(cloud: Cloud, kind: FlowKind, n: number): Array<Record<string, unknown>> {
  const instances = cloud.sim.state.seedInstances(kind === 'captures'
    ? { count: n, rootDeviceType: 'ebs', attachedVolumes: 1 }
    : { count: n, rootDeviceType: 'instance-store' });
  return instances.map((inst, i) => {
    const name = `r-${i}`;
    const spec = kind === 'captures'
      ? { cloudRef: { name: cloud.cloudName }, instanceId: inst.id, noReboot: true, strategy: i % 2 === 0 ? 'Orchestrated' : 'CreateImage', image: { name: `img-${cloud.namespace}-${i}` } }
      : { cloudRef: { name: cloud.cloudName }, instanceId: inst.id, storage: { bucket: 'bundles', prefix: name }, register: { name: `bundle-${cloud.namespace}-${i}` } };
    return { apiVersion: API_VERSION, kind: kinds[kind], metadata: { name }, spec };
  });
}

export async function createAll(world: World, namespace: string, kind: FlowKind, bodies: Array<Record<string, unknown>>): Promise<Map<string, number>> {
  const createdAt = new Map<string, number>();
  await inParallel(bodies, 24, async (body) => {
    await world.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: plurals[kind], body });
    createdAt.set((body.metadata as { name: string }).name, performance.now());
  });
  return createdAt;
}

export async function runFlow(world: World, o: FlowOptions): Promise<FlowResult> {
  const mode = o.naive ? 'naive' : 'batched';
  const scenario = `${o.kind}-${o.n}-${o.latency}-${mode}`;
  const cloud = await startCloud(world, `${o.kind}-${o.n}-${o.latency}-${mode}`, {
    latency: o.latency === 'zero' ? 'zero' : SCALED_REALISTIC, rateLimit: o.rateLimit,
  });
  const bodies = prepareResources(cloud, o.kind, o.n);
  const op = await startOperatorProcess({
    kubeconfig: world.plane.kubeconfigPath, namespace: cloud.namespace, naive: o.naive, logDir: o.logDir, label: scenario, env: o.operatorEnv,
  });
  try {
    await waitCloudReady(world, cloud);
    const tracker = await trackReadiness(world, cloud.namespace, plurals[o.kind]);
    const calls = countCalls(cloud.sim);
    const before = await requestCounts(world);
    const cpu0 = op.stats().cpuSeconds;
    cloud.sim.log.clear();
    const t0 = performance.now();
    const createdAt = await createAll(world, cloud.namespace, o.kind, bodies);
    const names = [...createdAt.keys()];
    await tracker.waitAll(names, o.timeoutMs);
    tracker.stop();
    const wall = Math.max(...names.map((n) => tracker.readyAt.get(n)!)) - t0;
    const times = names.map((n) => (tracker.readyAt.get(n)! - createdAt.get(n)!) / 1000).sort((a, b) => a - b);
    const after = await requestCounts(world);
    const stats = op.stats();
    const cloudCalls = calls.snapshot();
    const api = diffCounts(after, before);
    // The benchmark's own requests: its creates and the /metrics read (non-resource GETs).
    const createKey = Object.keys(api).find((k) => /^(POST|CREATE) /.test(k) && k.endsWith(` ${plurals[o.kind]}`));
    if (createKey) api[createKey] = api[createKey]! - o.n;
    for (const k of Object.keys(api)) if (k.endsWith(' -') || api[k]! <= 0) delete api[k];
    const t = totals(api);
    return {
      scenario, kind: o.kind, n: o.n, latency: o.latency, mode,
      wallS: wall / 1000, p50S: pct(times, 50), p95S: pct(times, 95), maxS: times.at(-1) ?? 0,
      cloudCalls,
      callsPerResource: cloudCalls.total / o.n,
      pollPerResource: cloudCalls.poll / o.n,
      flowPerResource: cloudCalls.flow / o.n,
      pollOverhead: cloudCalls.flow ? cloudCalls.total / cloudCalls.flow : 0,
      apiRequests: api,
      apiPerResource: t.all / o.n,
      apiWritesPerResource: t.writes / o.n,
      peakCloudRps: cloud.sim.log.peakPerSecond,
      operator: stats,
      cpuSecondsInFlow: stats.cpuSeconds - cpu0,
    };
  } finally {
    await op.stop();
    await cloud.close();
  }
}
