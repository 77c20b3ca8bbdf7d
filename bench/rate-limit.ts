// The cloud's rate limit set low: the operator must never send more than qps + burst requests in any second
// (eucasim's request log measures the peak per wall-clock second).
import { countCalls } from './cloud-calls.ts';
import { createAll, prepareResources, pct } from './flow.ts';
import { startOperatorProcess } from './operator-process.ts';
import { trackReadiness } from './readiness.ts';
import { startCloud, waitCloudReady, type World } from './world.ts';

export interface RateLimitResult {
  n: number;
  mode: 'batched' | 'naive';
  qps: number;
  burst: number;
  peakPerSecond: number;
  withinLimit: boolean;
  wallS: number;
  p95S: number;
  calls: number;
}

export async function runRateLimit(world: World, n: number, naive: boolean, logDir: string, timeoutMs: number): Promise<RateLimitResult> {
  const qps = 20;
  const burst = 10;
  const mode = naive ? 'naive' : 'batched';
  const cloud = await startCloud(world, `ratelimit-${mode}`, { latency: 'zero', rateLimit: { qps, burst } });
  const bodies = prepareResources(cloud, 'captures', n);
  const op = await startOperatorProcess({ kubeconfig: world.plane.kubeconfigPath, namespace: cloud.namespace, naive, logDir, label: `ratelimit-${mode}` });
  try {
    await waitCloudReady(world, cloud);
    const tracker = await trackReadiness(world, cloud.namespace, 'imagecaptures');
    const calls = countCalls(cloud.sim);
    cloud.sim.log.clear();
    const t0 = performance.now();
    const createdAt = await createAll(world, cloud.namespace, 'captures', bodies);
    await tracker.waitAll([...createdAt.keys()], timeoutMs);
    tracker.stop();
    const times = [...createdAt].map(([name, at]) => (tracker.readyAt.get(name)! - at) / 1000).sort((a, b) => a - b);
    const peak = cloud.sim.log.peakPerSecond;
    return {
      n, mode, qps, burst, peakPerSecond: peak, withinLimit: peak <= qps + burst,
      wallS: (Math.max(...tracker.readyAt.values()) - t0) / 1000, p95S: pct(times, 95),
      calls: calls.snapshot().total,
    };
  } finally {
    await op.stop();
    await cloud.close();
  }
}
