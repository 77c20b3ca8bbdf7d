// Two operator replicas as processes with leader election: the leader is SIGKILLed while captures and a bundle
// are in flight; the standby takes the Lease and finishes the work. One writer at a time means no duplicate
// creating call: one CreateImage/RegisterImage per capture, one CreateSnapshot per volume, one BundleInstance.
import { expect } from 'chai';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { createCalls, diffCalls, leaseHolder, spawnOperator, waitSettled, type OperatorProcess } from './helpers.ts';

describe('reliability: leader failover between two operator processes', function () {
  this.timeout(240_000);
  let s: Scenario;
  const procs: OperatorProcess[] = [];
  after(async () => {
    for (const p of procs) await p.kill();
    await s?.close();
  });

  it('the standby takes the Lease after the leader is killed mid-run and finishes without a second writer', async () => {
    // Slow enough work that the kill lands while snapshots and the bundle are still running.
    s = await startScenario({ profile: 'eucalyptus-4.0', operator: false, sim: { latency: { snapshotMs: 2_500, imageMs: 500, bundleStepMs: 1_500, instanceMs: 100 } } });
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const leader = spawnOperator(s, { EIO_LEADER_ELECT: 'true', EIO_IDENTITY: 'replica-a' });
    procs.push(leader);
    await waitFor(async () => (await leaseHolder(s)) === 'replica-a', { timeoutMs: 60_000, message: 'replica-a to lead' });
    const standby = spawnOperator(s, { EIO_LEADER_ELECT: 'true', EIO_IDENTITY: 'replica-b' });
    procs.push(standby);
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 60_000);

    const before = createCalls(s);
    const orchestrated = captureManifest(s, seedInstance(s, { attachedVolumes: 2 }).id, { strategy: 'Orchestrated', noReboot: true }, 'fo-orch');
    const createImage = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'CreateImage', noReboot: true }, 'fo-ci');
    const [storeInst] = s.sim.state.seedInstances({ count: 1, rootDeviceType: 'instance-store' });
    const bundle = { metadata: { name: 'fo-bundle' }, spec: { cloudRef: { name: s.cloudName }, instanceId: storeInst!.id, storage: { bucket: 'demo-bundles', prefix: 'fo-bundle' }, register: { name: `fo-bundle-${Date.now()}` } } };
    await t.create('imagecaptures', orchestrated);
    await t.create('imagecaptures', createImage);
    await t.create('instancebundles', bundle);

    await waitFor(() => s.sim.log.count('CreateSnapshot') > before.CreateSnapshot! && s.sim.log.count('BundleInstance') > before.BundleInstance!, { timeoutMs: 60_000, intervalMs: 5, message: 'work to be in flight' });
    const killedAt = Date.now();
    await leader.kill();
    await waitFor(async () => (await leaseHolder(s)) === 'replica-b', { timeoutMs: 60_000, intervalMs: 250, message: 'replica-b to take the Lease' });
    const takeoverMs = Date.now() - killedAt;

    await waitSettled(s, t.resources, 120_000);
    for (const r of t.resources) await s.waitForCondition(r.plural, r.name, 'Ready', 'True', 5_000);
    const calls = diffCalls(createCalls(s), before);
    console.log(`      takeover ${takeoverMs} ms; creating calls ${JSON.stringify(calls)}`);
    expect(calls.CreateSnapshot, 'one CreateSnapshot per volume of the Orchestrated capture').to.equal(3);
    expect(calls.CreateImage, 'one CreateImage').to.equal(1);
    expect(calls.RegisterImage, 'one RegisterImage per Orchestrated capture and registered bundle').to.equal(2);
    expect(calls.BundleInstance, 'one BundleInstance').to.equal(1);
    expect(standby.child.exitCode, 'standby still running').to.equal(null);
    const report = await checkInvariants(s, { resources: t.resources, baseline });
    console.log(`      invariants: ${JSON.stringify(report)}`);
    expect(report.ready).to.equal(3);
  });
});
