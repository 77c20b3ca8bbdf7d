// Deleting an InstanceBundle: a running task is cancelled at whatever state it is in and the finalizer waits
// for the cancellation to end; deletionPolicy Delete also deregisters the image and deletes the bundle's
// objects; Retain keeps a completed bundle and its image.
import { expect } from 'chai';
import type { InstanceBundleStatus } from '../../../src/api/types.ts';
import { DIALECT_PROFILES, startScenario, type Scenario } from '../support/scenario.ts';
import { BUNDLE_FIXTURES, bundleManifest, bundleObjects, calls, seed, tasksOf, waitForStatus } from './helpers.ts';

type WithStatus = { status?: InstanceBundleStatus };

for (const profile of DIALECT_PROFILES) describe(`InstanceBundle deletion (${profile})`, function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => {
    // These tests delete at a given task state, read from status: every status change is written (--status-refresh 0).
    s = await startScenario({ profile, fixtures: BUNDLE_FIXTURES, operator: { statusRefreshMs: 0 } });
  });
  after(async () => s?.close());
  afterEach(() => {
    s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 0 };
  });

  for (const at of ['pending', 'storing'] as const) {
    it(`cancels a task that is ${at} and waits for the cancellation before releasing the finalizer`, async () => {
      s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 2_500 };
      const inst = seed(s);
      const imageName = `cancel-${at}-${Date.now()}`;
      const m = bundleManifest(s, inst.id, { deletionPolicy: 'Retain', register: { name: imageName } });
      const cancels = calls(s, 'CancelBundleTask');
      await s.create('instancebundles', m);
      await waitForStatus(s, 'instancebundles', m.metadata.name, (st) => st['state'] === at);
      await s.remove('instancebundles', m.metadata.name);
      // While the cloud is still cancelling, the resource stays (its finalizer holds it).
      await waitForStatus(s, 'instancebundles', m.metadata.name, (st) => st['state'] === 'cancelling');
      expect(tasksOf(s, inst.id)[0]!.phase).to.equal('cancelling');
      await s.waitGone('instancebundles', m.metadata.name);
      const [task] = tasksOf(s, inst.id);
      expect(task!.phase).to.equal('cancelled');
      expect(calls(s, 'CancelBundleTask') - cancels).to.equal(1);
      expect(bundleObjects(s, 'bundles', m.metadata.name)).to.deep.equal([]);
      expect([...s.sim.state.images.values()].filter((i) => i.name === imageName)).to.have.length(0);
    });
  }

  it('deletionPolicy Delete deregisters the image and deletes the manifest and parts', async () => {
    const inst = seed(s);
    const m = bundleManifest(s, inst.id, { deletionPolicy: 'Delete', register: { name: `del-${Date.now()}` } });
    await s.create('instancebundles', m);
    const done = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready') as WithStatus;
    expect(bundleObjects(s, 'bundles', m.metadata.name)).to.have.length.greaterThan(1);
    await s.remove('instancebundles', m.metadata.name);
    await s.waitGone('instancebundles', m.metadata.name);
    expect(s.sim.state.images.get(done.status!.imageId!)?.state ?? 'deregistered').to.equal('deregistered');
    expect(bundleObjects(s, 'bundles', m.metadata.name)).to.deep.equal([]);
  });

  it('deletionPolicy Retain keeps a completed bundle and its image', async () => {
    const inst = seed(s);
    const m = bundleManifest(s, inst.id, { deletionPolicy: 'Retain', register: { name: `keep-${Date.now()}` } });
    await s.create('instancebundles', m);
    const done = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready') as WithStatus;
    const objects = bundleObjects(s, 'bundles', m.metadata.name);
    await s.remove('instancebundles', m.metadata.name);
    await s.waitGone('instancebundles', m.metadata.name);
    expect(s.sim.state.images.get(done.status!.imageId!)!.state).to.equal('available');
    expect(bundleObjects(s, 'bundles', m.metadata.name)).to.deep.equal(objects);
  });
});

for (const profile of DIALECT_PROFILES) describe(`InstanceBundle timeout (${profile})`, function () {
  this.timeout(60_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile, fixtures: BUNDLE_FIXTURES, sim: { latency: { bundleStepMs: 10_000 } } });
  });
  after(async () => s?.close());

  it('stalls with Timeout past spec.timeout and cancels the running task', async () => {
    const inst = seed(s);
    const m = bundleManifest(s, inst.id, { timeout: '2s' });
    await s.create('instancebundles', m);
    const stalled = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled', 'True', 20_000);
    expect(stalled.status?.conditions?.find((c) => c.type === 'Stalled')?.reason).to.equal('Timeout');
    expect(['cancelling', 'cancelled']).to.include(tasksOf(s, inst.id)[0]!.phase);
    expect(calls(s, 'CancelBundleTask')).to.equal(1);
  });
});
