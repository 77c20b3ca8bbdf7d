// A failed resource resumes only when its spec is edited, and then as a fresh attempt from what the cloud still
// holds: a timed-out capture whose snapshots were cleaned up makes new ones (no reference to the deleted ones),
// and a stalled capture is left alone across an operator restart until it is edited.
import { expect } from 'chai';
import type { ImageCapture, InstanceBundle } from '../../../src/api/types.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, ownedObjects, seedInstance } from '../imagecapture/helpers.ts';
import { BUNDLE_FIXTURES, bundleManifest, seed, tasksOf } from '../instancebundle/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { condOf, createCalls, diffCalls, eventsOf } from './helpers.ts';

async function patchSpec(s: Scenario, plural: string, name: string, spec: Record<string, unknown>): Promise<void> {
  const r = await s.env.kubectl(['patch', plural, name, '-n', s.namespace, '--type=merge', '-p', JSON.stringify({ spec })]);
  expect(r.code, r.stderr).to.equal(0);
}

describe('reliability: a failed resource resumes only on a new generation', function () {
  this.timeout(180_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
  });
  after(async () => s?.close());

  it('a timed-out capture whose snapshots were cleaned up starts a fresh, coherent attempt when spec.timeout is raised', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 60_000 };
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true, timeout: '3s', deletionPolicy: 'Delete' }, 'timed-out');
    let oldSnapshots: string[];
    try {
      await t.create('imagecaptures', m);
      const st = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000) as unknown as ImageCapture;
      expect(condOf(st, 'Stalled')?.reason).to.equal('Timeout');
      oldSnapshots = st.status!.snapshots!.map((x) => x.snapshotId!).filter(Boolean);
      expect(oldSnapshots).to.have.length(2);
      await waitFor(() => ownedObjects(s, s.namespace, m.metadata.name).snapshots.length === 0, { timeoutMs: 30_000, message: 'timed-out snapshots cleaned up' });
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 0 };
    }
    // Stalled stays stalled: a resync (poller wake-ups, the periodic look) makes no new attempt by itself.
    const calls = createCalls(s);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(diffCalls(createCalls(s), calls).CreateSnapshot, 'no snapshot without an edit').to.equal(0);
    const t0 = Date.now();
    await patchSpec(s, 'imagecaptures', m.metadata.name, { timeout: '10m' });
    const ready = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 60_000) as unknown as ImageCapture;
    console.log(`      new attempt Ready ${Date.now() - t0} ms after the edit`);
    const status = ready.status!;
    expect(status.phase).to.equal('Available');
    expect(status.progress).to.equal(100);
    expect(Date.parse(status.startedAt!), 'the new attempt has its own start').to.be.at.least(t0 - 1_000);
    const now = status.snapshots!.map((x) => x.snapshotId!);
    expect(now).to.have.length(2);
    for (const id of now) {
      expect(oldSnapshots, 'no reference to a deleted snapshot').not.to.include(id);
      expect(s.sim.state.snapshots.get(id)?.status).to.equal('completed');
    }
    const image = s.sim.state.images.get(status.imageId!)!;
    expect(image.state).to.equal('available');
    expect(image.blockDeviceMappings.map((b) => b.ebs?.snapshotId).filter(Boolean).sort()).to.deep.equal([...now].sort());
    expect(condOf(ready, 'SnapshotsCompleted')?.status).to.equal('True');
    expect(diffCalls(createCalls(s), calls).CreateSnapshot, 'one snapshot per volume in the new attempt').to.equal(2);
    const events = await eventsOf(s, m.metadata.name);
    expect(events.some((e) => e.reason === 'NewAttempt' && /after Timeout/.test(e.message ?? '')), 'NewAttempt Event').to.equal(true);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('a stalled capture is untouched across an operator restart and resumes when edited', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const first = captureManifest(s, seedInstance(s).id, { noReboot: true, deletionPolicy: 'Delete' }, 'name-owner');
    await t.create('imagecaptures', first);
    await s.waitForCondition('imagecaptures', first.metadata.name, 'Ready', 'True', 60_000);
    const second = captureManifest(s, seedInstance(s).id, { noReboot: true, image: { name: first.spec.image.name } }, 'name-taken');
    await t.create('imagecaptures', second);
    const st = await s.waitForCondition('imagecaptures', second.metadata.name, 'Stalled', 'True', 60_000);
    expect(condOf(st, 'Stalled')?.reason).to.equal('DuplicateImageName');
    await s.operator!.stop();
    const before = (await s.get<ImageCapture>('imagecaptures', second.metadata.name))!;
    const calls = createCalls(s);
    const since = Date.now();
    const instanceId = second.spec.instanceId;
    const looksAt = () => s.sim.log.entries().filter((e) => e.time.getTime() >= since && Object.values(e.params).includes(instanceId)).map((e) => e.action);
    const op = await s.startOperator();
    try {
      // The restarted operator lists and reconciles everything (the profile is checked again meanwhile).
      await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 30_000);
      await new Promise((r) => setTimeout(r, 3_000));
      const after = (await s.get<ImageCapture>('imagecaptures', second.metadata.name))!;
      expect(after.metadata.resourceVersion, 'status not rewritten').to.equal(before.metadata.resourceVersion);
      expect(diffCalls(createCalls(s), calls)).to.deep.equal({ CreateImage: 0, RegisterImage: 0, CreateSnapshot: 0, BundleInstance: 0, RebootInstances: 0 });
      expect(looksAt(), 'its instance not even looked at').to.deep.equal([]);
      // The name is freed (the first capture goes with its image): still nothing until the stalled one is edited.
      await t.remove('imagecaptures', first.metadata.name);
      await s.waitGone('imagecaptures', first.metadata.name);
      await new Promise((r) => setTimeout(r, 2_000));
      const still = (await s.get<ImageCapture>('imagecaptures', second.metadata.name))!;
      expect(still.metadata.resourceVersion, 'not resumed by itself').to.equal(before.metadata.resourceVersion);
      await patchSpec(s, 'imagecaptures', second.metadata.name, { image: { tags: { attempt: '2' } } });
      const ready = await s.waitForCondition('imagecaptures', second.metadata.name, 'Ready', 'True', 60_000) as unknown as ImageCapture;
      const image = s.sim.state.images.get(ready.status!.imageId!)!;
      expect(image.name).to.equal(first.spec.image.name);
      expect(image.tags.get('attempt')).to.equal('2');
    } finally {
      s.operator = op;
    }
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});

describe('reliability: a timed-out InstanceBundle resumes only on a new generation', function () {
  this.timeout(180_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', fixtures: BUNDLE_FIXTURES });
  });
  after(async () => s?.close());

  it('raising spec.timeout starts a new bundle task once the cancelled one is gone, and the bundle completes', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 10_000 };
    const inst = seed(s);
    const m = bundleManifest(s, inst.id, { timeout: '2s', deletionPolicy: 'Delete', register: { name: `retry-${Date.now()}` } });
    try {
      await t.create('instancebundles', m);
      const st = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled', 'True', 30_000);
      expect(condOf(st, 'Stalled')?.reason).to.equal('Timeout');
      await waitFor(() => tasksOf(s, inst.id).every((x) => x.phase === 'cancelled' || x.phase === 'failed'), { timeoutMs: 60_000, message: 'the timed-out task cancelled' });
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 0 };
    }
    const calls = createCalls(s);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(diffCalls(createCalls(s), calls).BundleInstance, 'no new task without an edit').to.equal(0);
    await patchSpec(s, 'instancebundles', m.metadata.name, { timeout: '10m' });
    const ready = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready', 'True', 90_000) as unknown as InstanceBundle;
    expect(diffCalls(createCalls(s), calls).BundleInstance).to.equal(1);
    expect(ready.status!.bundleId).to.be.a('string');
    expect(s.sim.state.images.get(ready.status!.imageId!)?.state).to.equal('available');
    expect(ready.status!.progress).to.equal(100);
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});

