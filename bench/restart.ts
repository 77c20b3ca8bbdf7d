// Crash mid-run: N captures in flight, the operator is SIGKILLed once half of them have sent their creating
// call, and started again. Measures the time to resume (all Ready) and counts duplicate cloud objects: every
// creating call beyond one per capture (CreateImage / RegisterImage) or per volume (CreateSnapshot).
import { OWNER_TAG } from '../src/api/constants.ts';
import { waitFor } from '../test/env/wait-for.ts';
import { countCalls } from './cloud-calls.ts';
import { createAll, prepareResources, SCALED_REALISTIC } from './flow.ts';
import { startOperatorProcess } from './operator-process.ts';
import { trackReadiness } from './readiness.ts';
import { startCloud, waitCloudReady, type World } from './world.ts';

export interface RestartResult {
  n: number;
  killedAfterCreates: number;
  readyBeforeKill: number;
  resumeS: number;
  totalS: number;
  creates: Record<string, { calls: number; expected: number }>;
  extraCreateCalls: number;
  duplicateImages: number;
  duplicateSnapshots: number;
}

export async function runRestart(world: World, n: number, logDir: string, timeoutMs: number): Promise<RestartResult> {
  const cloud = await startCloud(world, `restart-${n}`, { latency: SCALED_REALISTIC, rateLimit: { qps: 500, burst: 100 } });
  const bodies = prepareResources(cloud, 'captures', n);
  const start = (label: string) => startOperatorProcess({ kubeconfig: world.plane.kubeconfigPath, namespace: cloud.namespace, naive: false, logDir, label });
  let op = await start(`restart-${n}-a`);
  try {
    await waitCloudReady(world, cloud);
    const tracker = await trackReadiness(world, cloud.namespace, 'imagecaptures');
    const calls = countCalls(cloud.sim);
    const creating = () => (calls.byAction.get('CreateSnapshot') ?? 0) / 2 + (calls.byAction.get('CreateImage') ?? 0);
    const t0 = performance.now();
    const createdAt = await createAll(world, cloud.namespace, 'captures', bodies);
    await waitFor(() => creating() >= n / 2, { timeoutMs, intervalMs: 20, message: 'half the captures to start creating' });
    const killedAfterCreates = creating();
    await op.kill();
    const readyBeforeKill = tracker.readyAt.size;
    const t1 = performance.now();
    op = await start(`restart-${n}-b`);
    await tracker.waitAll([...createdAt.keys()], timeoutMs);
    tracker.stop();
    const done = Math.max(...[...tracker.readyAt.values()]);
    const orchestrated = Math.ceil(n / 2);
    const createImage = n - orchestrated;
    const creates = {
      CreateSnapshot: { calls: calls.byAction.get('CreateSnapshot') ?? 0, expected: orchestrated * 2 },
      RegisterImage: { calls: calls.byAction.get('RegisterImage') ?? 0, expected: orchestrated },
      CreateImage: { calls: calls.byAction.get('CreateImage') ?? 0, expected: createImage },
    };
    const perOwner = (objects: Iterable<{ tags: Map<string, string> }>) => {
      const counts = new Map<string, number>();
      for (const o of objects) {
        const owner = o.tags.get(OWNER_TAG);
        if (owner?.startsWith(`${cloud.namespace}/`)) counts.set(owner.split('/')[1]!, (counts.get(owner.split('/')[1]!) ?? 0) + 1);
      }
      return counts;
    };
    const st = cloud.sim.state;
    const images = perOwner([...st.images.values()].filter((i) => i.state !== 'deregistered'));
    const snapshots = perOwner(st.snapshots.values());
    let duplicateImages = 0;
    for (const c of images.values()) duplicateImages += Math.max(0, c - 1);
    let duplicateSnapshots = 0;
    for (const c of snapshots.values()) duplicateSnapshots += Math.max(0, c - 2);
    return {
      n, killedAfterCreates, readyBeforeKill,
      resumeS: (done - t1) / 1000,
      totalS: (done - t0) / 1000,
      creates,
      extraCreateCalls: Object.values(creates).reduce((s, c) => s + Math.max(0, c.calls - c.expected), 0),
      duplicateImages, duplicateSnapshots,
    };
  } finally {
    await op.stop();
    await cloud.close();
  }
}
