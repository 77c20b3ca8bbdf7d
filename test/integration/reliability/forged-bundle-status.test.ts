// InstanceBundle ownership: a bundle task cannot carry tags, so only the BundleInstance the operator signed into
// status proves a task (and the objects it wrote) is the bundle's; status.bundleId and status.imageId written by a
// user, or an image of the bundle's name registered by someone else, make the operator cancel, deregister,
// share or delete nothing of theirs.
import { expect } from 'chai';
import type { InstanceBundleStatus } from '../../../src/api/types.ts';
import { registerImage } from '../../../src/cloud/ec2.ts';
import { waitFor } from '../../env/index.ts';
import { gatewayFor } from '../cloud/sim-gateway.ts';
import { BUNDLE_FIXTURES, bundleManifest, bundleObjects, seed, tasksOf, waitForStatus } from '../instancebundle/helpers.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { checkInvariants, cloudBaseline, protectObjects, ResourceTracker } from './invariants.ts';
import { condOf } from './helpers.ts';

/** Calls since `from` that acted on `id` (a task, an image). */
function actionsOn(s: Scenario, id: string, from: number): string[] {
  const acting = new Set(['CancelBundleTask', 'CreateTags', 'DeleteTags', 'ModifyImageAttribute', 'DeregisterImage']);
  return s.sim.log.entries().slice(from).filter((e) => acting.has(e.action) && Object.values(e.params).includes(id)).map((e) => e.action);
}

async function patchStatus(s: Scenario, name: string, status: Record<string, unknown>): Promise<void> {
  const r = await s.env.kubectl(['patch', 'instancebundle', name, '-n', s.namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  expect(r.code, r.stderr).to.equal(0);
}

describe('reliability: InstanceBundle adoption and deletion only with the signed BundleInstance / RegisterImage', function () {
  this.timeout(240_000);
  let s: Scenario;
  /** Another team's finished bundle: its task, image and objects must survive everything below. */
  let theirs: { name: string; bundleId: string; imageId: string; objects: string[] };
  let baseline: ReturnType<typeof cloudBaseline>;
  let t: ResourceTracker;

  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', fixtures: BUNDLE_FIXTURES });
    baseline = cloudBaseline(s);
    t = new ResourceTracker(s);
    const m = bundleManifest(s, seed(s).id, { deletionPolicy: 'Retain', register: { name: `theirs-${Date.now()}` }, launchPermissions: ['all'] }, 'their-bundle');
    await t.create('instancebundles', m);
    const done = (await s.waitForCondition('instancebundles', m.metadata.name, 'Ready', 'True', 90_000)) as { status?: InstanceBundleStatus };
    theirs = { name: m.metadata.name, bundleId: done.status!.bundleId!, imageId: done.status!.imageId!, objects: bundleObjects(s, 'bundles', m.metadata.name) };
    expect(theirs.objects.length).to.be.greaterThan(1);
  });
  after(async () => s?.close());

  function expectTheirsIntact(from: number): void {
    expect(actionsOn(s, theirs.bundleId, from), 'their task').to.deep.equal([]);
    expect(actionsOn(s, theirs.imageId, from), 'their image').to.deep.equal([]);
    expect(s.sim.state.images.get(theirs.imageId)!.state).to.equal('available');
    expect(s.sim.state.images.get(theirs.imageId)!.isPublic, 'their grant').to.equal(true);
    expect(bundleObjects(s, 'bundles', theirs.name)).to.deep.equal(theirs.objects);
  }

  it('status.bundleId and status.imageId forged on a finished bundle: the launch-permission edit stalls (ImageNotOwned); Delete removes only its own', async () => {
    const m = bundleManifest(s, seed(s).id, { deletionPolicy: 'Delete', register: { name: `mine-${Date.now()}` } });
    await t.create('instancebundles', m);
    const done = (await s.waitForCondition('instancebundles', m.metadata.name, 'Ready', 'True', 90_000)) as { status?: InstanceBundleStatus };
    const own = done.status!.imageId!;
    const from = s.sim.log.entries().length;
    await patchStatus(s, m.metadata.name, { bundleId: theirs.bundleId, imageId: theirs.imageId, launchPermissions: ['all'] });
    const r = await s.env.kubectl(['patch', 'instancebundle', m.metadata.name, '-n', s.namespace, '--type=merge', '-p', JSON.stringify({ spec: { launchPermissions: ['123456789012'] } })]);
    expect(r.code, r.stderr).to.equal(0);
    const st = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled', 'True', 60_000);
    expect(condOf(st, 'Stalled')?.reason).to.equal('ImageNotOwned');
    await t.remove('instancebundles', m.metadata.name);
    await s.waitGone('instancebundles', m.metadata.name);
    expectTheirsIntact(from);
    expect(s.sim.state.images.get(own)?.state ?? 'deregistered', 'its own image, proven by its signed RegisterImage and owner tag').to.equal('deregistered');
    expect(bundleObjects(s, 'bundles', m.metadata.name), 'its own objects').to.deep.equal([]);
  });

  it('status.bundleId forged before the first look, with the other bundle\'s bucket and prefix: BundleNotOwned, and Delete touches nothing of theirs', async () => {
    await s.operator!.stop();
    const m = bundleManifest(s, seed(s).id, { deletionPolicy: 'Delete', storage: { bucket: 'bundles', prefix: theirs.name } }, 'forged-task');
    await t.create('instancebundles', m);
    await patchStatus(s, m.metadata.name, { bundleId: theirs.bundleId, imageId: theirs.imageId, state: 'complete', startedAt: new Date().toISOString() });
    const from = s.sim.log.entries().length;
    s.operator = undefined;
    const op = await s.startOperator();
    try {
      const st = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled', 'True', 60_000);
      expect(condOf(st, 'Stalled')?.reason).to.equal('BundleNotOwned');
      await t.remove('instancebundles', m.metadata.name);
      await s.waitGone('instancebundles', m.metadata.name);
      expectTheirsIntact(from);
    } finally {
      s.operator = op;
    }
  });

  it('a running task of the same instance, bucket and prefix started by another resource: not adopted (StorageInUse), and Delete neither cancels it nor deletes its objects', async () => {
    s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 1_500 };
    try {
      const inst = seed(s);
      const other = bundleManifest(s, inst.id, { deletionPolicy: 'Retain' }, 'running-other');
      await t.create('instancebundles', other);
      const running = await waitForStatus(s, 'instancebundles', other.metadata.name, (st) => typeof st['bundleId'] === 'string');
      const from = s.sim.log.entries().length;
      const m = bundleManifest(s, inst.id, { deletionPolicy: 'Delete', storage: { bucket: 'bundles', prefix: other.metadata.name } }, 'same-target');
      await t.create('instancebundles', m);
      const st = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled', 'True', 60_000);
      expect(condOf(st, 'Stalled')?.reason).to.equal('StorageInUse');
      await t.remove('instancebundles', m.metadata.name);
      await s.waitGone('instancebundles', m.metadata.name);
      expect(actionsOn(s, running['bundleId'] as string, from), 'the other task').to.deep.equal([]);
      await s.waitForCondition('instancebundles', other.metadata.name, 'Ready', 'True', 90_000);
      expect(bundleObjects(s, 'bundles', other.metadata.name).length, 'its objects').to.be.greaterThan(1);
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 0 };
    }
  });

  it('an image of the bundle\'s name registered by hand from another manifest while it bundles: not adopted, and Delete leaves it', async () => {
    s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 1_500 };
    try {
      const name = `raced-${Date.now()}`;
      const inst = seed(s);
      const m = bundleManifest(s, inst.id, { deletionPolicy: 'Delete', register: { name } });
      await t.create('instancebundles', m);
      // Status records the task id with the next real change (the bundle stored): that it started is read from
      // the cloud, once status says Bundling.
      await waitForStatus(s, 'instancebundles', m.metadata.name, (st) => st['phase'] === 'Bundling');
      await waitFor(async () => tasksOf(s, inst.id).length === 1, { timeoutMs: 30_000, message: 'the bundle task' });
      const gw = gatewayFor(s.sim);
      let foreign: string;
      try {
        foreign = await registerImage(gw, { name, imageLocation: `bundles/${theirs.name}.manifest.xml` });
      } finally {
        gw.destroy();
      }
      await waitFor(() => s.sim.state.images.get(foreign)?.state === 'available', { timeoutMs: 30_000, message: 'hand-made image' });
      protectObjects(s, baseline, [foreign]);
      const from = s.sim.log.entries().length;
      const st = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled', 'True', 90_000);
      expect(condOf(st, 'Stalled')?.reason).to.equal('DuplicateImageName');
      expect((st.status as InstanceBundleStatus).imageId).to.equal(undefined);
      await t.remove('instancebundles', m.metadata.name);
      await s.waitGone('instancebundles', m.metadata.name);
      expect(actionsOn(s, foreign, from)).to.deep.equal([]);
      expect(s.sim.state.images.get(foreign)!.state).to.equal('available');
      expect(bundleObjects(s, 'bundles', m.metadata.name), 'its own partial or complete bundle removed').to.deep.equal([]);
      expectTheirsIntact(from);
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 0 };
    }
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
