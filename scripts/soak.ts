// `make soak`: two operator replicas (leader election) against eucasim for SOAK_SECONDS (default 300). In waves,
// ImageCaptures and InstanceBundles are created and deleted at random while random cloud faults are injected and
// the leader is now and then SIGKILLed. Then the faults stop, everything settles, and the invariant checker
// runs. Prints the counts; exits 1 if anything leaked, a foreign object changed, or a status disagrees.
// SOAK_SEED makes the run's choices repeatable.
import { installTeardownHandlers, killEverything } from '../test/env/processes.ts';
import { stopEnv } from '../test/env/index.ts';
import { startScenario } from '../test/integration/support/scenario.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from '../test/integration/reliability/invariants.ts';
import { leaseHolder, spawnOperator, waitSettled, type OperatorProcess } from '../test/integration/reliability/helpers.ts';

const seconds = Number(process.env.SOAK_SECONDS ?? 300);
const seed = Number(process.env.SOAK_SEED ?? Date.now() % 100_000);

// mulberry32: small, seedable, good enough to pick test actions.
let state = seed >>> 0;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

// Module-level so a failed run still stops its operator processes.
const replicas: OperatorProcess[] = [];

async function main(): Promise<number> {
  installTeardownHandlers();
  const s = await startScenario({ profile: 'eucalyptus-4.0', operator: false, sim: { latency: { instanceMs: 200, snapshotMs: 1_000, imageMs: 500, bundleStepMs: 500, conversionMs: 1_000, jitter: 0.5 } } });
  const baseline = cloudBaseline(s);
  const t = new ResourceTracker(s);
  let nextReplica = 0;
  const startReplica = () => replicas.push(spawnOperator(s, { EIO_LEADER_ELECT: 'true', EIO_IDENTITY: `soak-${nextReplica++}` }));
  startReplica();
  startReplica();
  await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 60_000);
  console.log(`soak: ${seconds}s, seed ${seed}, namespace ${s.namespace}`);

  const counts = { created: 0, deleted: 0, leaderKills: 0, outages: 0, waves: 0 };
  const live: Array<{ plural: 'imagecaptures' | 'instancebundles'; name: string }> = [];
  const deadline = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < deadline) {
    counts.waves++;
    // Faults for this wave: mild per-call trouble, now and then a failed snapshot/bundle/conversion or an outage.
    s.sim.faults.clear();
    s.sim.faults.set({ throttle: { rate: random() * 0.05 }, serverError: { rate: random() * 0.03 }, delay: { rate: 0.1, ms: 300 }, drop: { rate: random() * 0.02 } });
    if (random() < 0.3) s.sim.faults.set({ failSnapshot: { count: 1 } });
    if (random() < 0.2) s.sim.faults.set({ failBundle: { count: 1 } });
    if (random() < 0.1) {
      counts.outages++;
      s.sim.faults.set({ drop: { rate: 1 } });
    }
    for (let i = 0, k = 1 + Math.floor(random() * 3); i < k; i++) {
      const name = `soak-${++n}`;
      const deletionPolicy = pick(['Retain', 'Delete'] as const);
      const kind = pick(['CreateImage', 'Orchestrated', 'Bundle'] as const);
      if (kind === 'Bundle') {
        const [inst] = s.sim.state.seedInstances({ count: 1, rootDeviceType: 'instance-store' });
        const register = random() < 0.5 ? { register: { name: `${name}-${seed}` } } : {};
        await t.create('instancebundles', { metadata: { name }, spec: { cloudRef: { name: s.cloudName }, instanceId: inst!.id, storage: { bucket: 'demo-bundles', prefix: name }, deletionPolicy, ...register } });
        live.push({ plural: 'instancebundles', name });
      } else {
        const [inst] = s.sim.state.seedInstances({ count: 1, rootDeviceType: 'ebs', attachedVolumes: Math.floor(random() * 3) });
        await t.create('imagecaptures', { metadata: { name }, spec: { cloudRef: { name: s.cloudName }, instanceId: inst!.id, image: { name: `${name}-${seed}` }, strategy: kind, noReboot: random() < 0.5, deletionPolicy } });
        live.push({ plural: 'imagecaptures', name });
      }
      counts.created++;
    }
    // Delete some, finished or not.
    for (let i = live.length - 1; i >= 0; i--) {
      if (random() < 0.15) {
        const [r] = live.splice(i, 1);
        await t.remove(r!.plural, r!.name);
        counts.deleted++;
      }
    }
    if (random() < 0.1) {
      const holder = await leaseHolder(s);
      const leader = replicas.find((p) => p.child.exitCode === null && p.child.signalCode === null && p.identity === holder);
      if (leader) {
        await leader.kill();
        counts.leaderKills++;
        startReplica();
      }
    }
    await new Promise((r) => setTimeout(r, 2_000 + random() * 3_000));
    if (s.sim.faults.current().drop?.rate === 1) s.sim.faults.clear(['drop']);
  }

  s.sim.faults.clear();
  const fired = { ...s.sim.faults.fired };
  console.log(`soak: waves done; settling ${t.resources.length} resources`);
  // A resource that never settles is a finding too: report it with the counts instead of stopping here.
  const unsettled = await waitSettled(s, t.resources, 600_000).then(() => undefined, (err: Error) => err.message);
  const report = await checkInvariants(s, { resources: t.resources, baseline, assert: false });
  const alive = replicas.filter((p) => p.child.exitCode === null && p.child.signalCode === null).length;
  const crashed = replicas.filter((p) => p.child.exitCode !== null && p.child.exitCode !== 0).length;
  for (const p of replicas) await p.stop();
  await s.close();
  const leaked = report.leaks.length + report.foreignChanged.length;
  console.log(JSON.stringify({ seed, seconds, ...counts, faultsFired: fired, replicasAlive: alive, replicasCrashed: crashed, ready: report.ready, gone: report.deleted, stalledByReason: report.stalled, cloudObjectsMade: report.cloud, leakedObjects: leaked, problems: report.problems.length }, null, 2));
  for (const line of [...report.leaks, ...report.foreignChanged, ...report.problems, ...(unsettled ? [unsettled] : [])]) console.log(`  ! ${line}`);
  return leaked === 0 && report.problems.length === 0 && crashed === 0 && !unsettled ? 0 : 1;
}

main().then(async (code) => {
  await stopEnv();
  killEverything();
  process.exit(code);
}, async (err: unknown) => {
  console.error(err);
  for (const p of replicas) p.child.kill('SIGKILL');
  await stopEnv().catch(() => undefined);
  killEverything();
  process.exit(2);
});
