// Status is writable by whoever may write a resource's status (namespace admins usually can), so nothing in it
// proves ownership but the create checkpoints the operator signs (a key in its own namespace). A crash between a
// creating call and its tags resumes by adopting what the signed checkpoint proves; a forged checkpoint, a forged
// startedAt or a status.imageId pointing at someone else's image makes the operator touch nothing.
import { expect } from 'chai';
import { OWNER_TAG } from '../../../src/api/constants.ts';
import type { CreateCall } from '../../../src/api/types.ts';
import { createSnapshot, registerImage } from '../../../src/cloud/ec2.ts';
import { waitFor } from '../../env/index.ts';
import { gatewayFor } from '../cloud/sim-gateway.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { calls, captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, protectObjects, ResourceTracker, type CloudBaseline } from './invariants.ts';
import { condOf, type WithStatus } from './helpers.ts';

type CaptureStatus = { imageId?: string; createCalls?: CreateCall[]; launchPermissions?: string[] };

/** An image made by hand of an instance's root volume, untagged unless `owner` is given (another resource's tag). */
async function handMadeImage(s: Scenario, name: string, instance: { rootDeviceName: string; attachments: Array<{ volumeId: string }> }, owner?: string): Promise<{ imageId: string; snapshotId: string }> {
  const gw = gatewayFor(s.sim);
  try {
    const snap = await createSnapshot(gw, { volumeId: instance.attachments[0]!.volumeId, description: 'made by hand' });
    await waitFor(() => s.sim.state.snapshots.get(snap.snapshotId)?.status === 'completed', { timeoutMs: 30_000, message: 'hand-made snapshot' });
    // Taken a while ago: before any checkpoint a capture could write now.
    s.sim.state.snapshots.get(snap.snapshotId)!.startTime = new Date(Date.now() - 10 * 60_000);
    const imageId = await registerImage(gw, { name, rootDeviceName: instance.rootDeviceName, blockDeviceMappings: [{ deviceName: instance.rootDeviceName, ebs: { snapshotId: snap.snapshotId } }] });
    await waitFor(() => s.sim.state.images.get(imageId)?.state === 'available', { timeoutMs: 30_000, message: 'hand-made image available' });
    const image = s.sim.state.images.get(imageId)!;
    if (owner) image.tags.set(OWNER_TAG, owner);
    image.isPublic = true;
    return { imageId, snapshotId: snap.snapshotId };
  } finally {
    gw.destroy();
  }
}

async function patchStatus(s: Scenario, name: string, status: Record<string, unknown>): Promise<void> {
  const r = await s.env.kubectl(['patch', 'imagecapture', name, '-n', s.namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  expect(r.code, r.stderr).to.equal(0);
}

/** Calls since `from` that changed `id` (tags, attributes, deregistration, deletion, termination). */
function changesTo(s: Scenario, id: string, from: number): string[] {
  const changing = new Set(['CreateTags', 'DeleteTags', 'ModifyImageAttribute', 'ResetImageAttribute', 'DeregisterImage', 'DeleteSnapshot', 'TerminateInstances', 'RunInstances']);
  return s.sim.log.entries().slice(from).filter((e) => changing.has(e.action) && Object.values(e.params).includes(id)).map((e) => e.action);
}

/** Deletes the capture, then: none of `ids` was changed by any call since `from`, and the invariants hold. */
async function deleteLeavingUntouched(s: Scenario, t: ResourceTracker, baseline: CloudBaseline, name: string, ids: string[], from: number): Promise<void> {
  await t.remove('imagecaptures', name);
  await s.waitGone('imagecaptures', name);
  for (const id of ids) expect(changesTo(s, id, from), id).to.deep.equal([]);
  await checkInvariants(s, { resources: t.resources, baseline });
}

describe('reliability: status proves nothing but the operator\'s signed create checkpoints', function () {
  this.timeout(240_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false });
  });
  after(async () => s?.close());

  it('a crash after CreateImage was sent, before its answer was recorded or the image tagged: the signed checkpoint in status survives the restart and the image is adopted', async () => {
    const t = new ResourceTracker(s);
    const inst = seedInstance(s);
    const m = captureManifest(s, inst.id, { strategy: 'CreateImage', noReboot: true }, 'crash-window');
    const createsBefore = calls(s, 'CreateImage');
    // CreateImage is answered late: the operator dies while it waits, the cloud makes the image anyway.
    s.sim.faults.set({ delay: { ms: 2_000, count: 1, actions: ['CreateImage'] } });
    const first = s.startOperatorProcess();
    try {
      await t.create('imagecaptures', m);
      await waitFor(() => (s.sim.faults.fired.delay ?? 0) >= 1, { timeoutMs: 60_000, intervalMs: 5, message: 'CreateImage in flight' });
    } finally {
      first.kill('SIGKILL');
    }
    await waitFor(() => first.exitCode !== null || first.signalCode !== null, { timeoutMs: 10_000, message: 'operator to die' });
    await waitFor(() => calls(s, 'CreateImage') > createsBefore, { timeoutMs: 10_000, message: 'the cloud to answer the lost CreateImage' });
    s.sim.faults.clear();
    const made = [...s.sim.state.images.values()].filter((i) => i.name === m.spec.image.name);
    expect(made, 'the image exists').to.have.length(1);
    expect(made[0]!.tags.has(OWNER_TAG), 'and is untagged').to.equal(false);
    const crashed = (await s.get<WithStatus>('imagecaptures', m.metadata.name))!.status as CaptureStatus;
    expect(crashed.imageId, 'its id never reached status').to.equal(undefined);
    expect(crashed.createCalls?.map((c) => [c.call, c.id ?? null])).to.deep.equal([['CreateImage', null]]);

    const op = await s.startOperator();
    try {
      const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 60_000);
      const st = done.status as CaptureStatus;
      expect(st.imageId, 'adopted, not made again').to.equal(made[0]!.id);
      expect(calls(s, 'CreateImage') - createsBefore, 'one CreateImage').to.equal(1);
      expect(s.sim.state.images.get(made[0]!.id)!.tags.get(OWNER_TAG)).to.match(new RegExp(`^${s.namespace}/crash-window/`));
      expect(st.createCalls?.map((c) => [c.call, c.id])).to.deep.equal([['CreateImage', made[0]!.id]]);
    } finally {
      await op.stop();
    }
  });

  it('a forged checkpoint and a forged startedAt: an untagged image of the capture\'s name from its instance, made earlier, is not adopted', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const inst = seedInstance(s);
    const m = captureManifest(s, inst.id, { strategy: 'CreateImage', noReboot: true, deletionPolicy: 'Delete' }, 'forged-checkpoint');
    const foreign = await handMadeImage(s, m.spec.image.name, inst);
    protectObjects(s, baseline, [foreign.imageId, foreign.snapshotId]);
    await t.create('imagecaptures', m);
    // Before the hand-made snapshot: with startedAt as the checkpoint, that image would pass for the capture's own.
    const long = new Date(Date.now() - 11 * 60_000).toISOString();
    await patchStatus(s, m.metadata.name, {
      strategy: 'CreateImage', startedAt: long,
      createCalls: [{ call: 'CreateImage', at: long, signature: 'ab'.repeat(32) }],
    });
    const from = s.sim.log.entries().length;
    const createsBefore = calls(s, 'CreateImage');
    const op = await s.startOperator();
    try {
      const st = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000);
      expect(condOf(st, 'Stalled')?.reason).to.equal('DuplicateImageName');
      expect(condOf(st, 'Stalled')?.message).to.include(foreign.imageId);
      expect((st.status as CaptureStatus).imageId).to.equal(undefined);
      expect(calls(s, 'CreateImage') - createsBefore, 'nothing created either').to.equal(0);
      await deleteLeavingUntouched(s, t, baseline, m.metadata.name, [foreign.imageId, foreign.snapshotId], from);
    } finally {
      await op.stop();
    }
  });

  for (const kind of ['another resource\'s owner tag', 'no tag (made by hand)']) {
    it(`status.imageId forged to an image with ${kind}: no ModifyImageAttribute, CreateTags or DeleteTags on it, not even at deletion`, async () => {
      const baseline = cloudBaseline(s);
      const t = new ResourceTracker(s);
      const foreign = await handMadeImage(s, `team-b-${Date.now()}`, seedInstance(s), kind.startsWith('another') ? 'team-b/their-capture/0f0e0d0c-0000-4000-8000-000000000000' : undefined);
      protectObjects(s, baseline, [foreign.imageId, foreign.snapshotId]);
      const op = await s.startOperator();
      try {
        const m = captureManifest(s, seedInstance(s).id, { deletionPolicy: 'Retain', revokeLaunchPermissionsOnDeletion: true, image: { tags: { team: 'a' } } }, `forged-id-${kind.startsWith('another') ? 'tagged' : 'untagged'}`);
        await t.create('imagecaptures', m);
        await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 60_000);
        const from = s.sim.log.entries().length;
        await patchStatus(s, m.metadata.name, { imageId: foreign.imageId, launchPermissions: ['all'], appliedTags: { team: 'a', owner: 'x' } });
        // Edits that act on the image: new launch permissions, a removed tag.
        const r = await s.env.kubectl(['patch', 'imagecapture', m.metadata.name, '-n', s.namespace, '--type=merge', '-p', JSON.stringify({ spec: { launchPermissions: ['123456789012'], image: { tags: null } } })]);
        expect(r.code, r.stderr).to.equal(0);
        const st = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000);
        expect(condOf(st, 'Stalled')?.reason).to.equal('ImageNotOwned');
        await deleteLeavingUntouched(s, t, baseline, m.metadata.name, [foreign.imageId], from);
        const image = s.sim.state.images.get(foreign.imageId)!;
        expect(image.isPublic, 'its grant stays').to.equal(true);
        expect(image.state).to.equal('available');
      } finally {
        await op.stop();
      }
    });
  }

  it('boot verification with status.imageId forged to another image: no test instance is run from it and it is not tagged', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const foreign = await handMadeImage(s, `team-b-boot-${Date.now()}`, seedInstance(s), 'team-b/their-capture/0f0e0d0c-0000-4000-8000-000000000001');
    protectObjects(s, baseline, [foreign.imageId, foreign.snapshotId]);
    const inst = seedInstance(s);
    const m = captureManifest(s, inst.id, { strategy: 'CreateImage', bootVerification: { timeout: '1m' } }, 'forged-boot');
    await t.create('imagecaptures', m);
    // As if its image were the foreign one, with that image's snapshot known.
    await patchStatus(s, m.metadata.name, {
      strategy: 'CreateImage', imageId: foreign.imageId, startedAt: new Date().toISOString(),
      snapshots: [{ deviceName: inst.rootDeviceName, snapshotId: foreign.snapshotId, state: 'completed', progress: 100 }],
    });
    const from = s.sim.log.entries().length;
    const runsBefore = calls(s, 'RunInstances');
    const op = await s.startOperator();
    try {
      const st = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000);
      expect(condOf(st, 'Stalled')?.reason).to.equal('ImageNotOwned');
      expect(calls(s, 'RunInstances') - runsBefore, 'no test instance').to.equal(0);
      await deleteLeavingUntouched(s, t, baseline, m.metadata.name, [foreign.imageId, foreign.snapshotId], from);
    } finally {
      await op.stop();
    }
  });

  it('status.bootCheck.instanceId forged to another instance while the test instance boots: InstanceNotOwned, that instance is never terminated', async () => {
    const t = new ResourceTracker(s);
    const op = await s.startOperator();
    s.sim.faults.set({ neverRunning: { count: 1, actions: ['RunInstances'] } });
    try {
      const victim = seedInstance(s);
      const m = captureManifest(s, seedInstance(s).id, { noReboot: true, bootVerification: { timeout: '5m' } }, 'forged-boot-instance');
      await t.create('imagecaptures', m);
      let own: string | undefined;
      await waitFor(async () => {
        own = ((await s.get<WithStatus>('imagecaptures', m.metadata.name))?.status as { bootCheck?: { instanceId?: string } } | undefined)?.bootCheck?.instanceId;
        return own !== undefined;
      }, { timeoutMs: 60_000, intervalMs: 50, message: 'test instance launched' });
      const from = s.sim.log.entries().length;
      // A pass in flight may write its own copy back: the forgery is repeated until the operator has looked at it.
      let st;
      for (let attempt = 0; attempt < 4 && !st; attempt++) {
        await patchStatus(s, m.metadata.name, { bootCheck: { instanceId: victim.id } });
        st = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 8_000).catch(() => undefined);
      }
      expect(condOf(st, 'Stalled')?.reason).to.equal('InstanceNotOwned');
      expect(condOf(st, 'Stalled')?.message).to.include(victim.id);
      await t.remove('imagecaptures', m.metadata.name);
      await s.waitGone('imagecaptures', m.metadata.name);
      expect(changesTo(s, victim.id, from), 'the other instance').to.deep.equal([]);
      expect(s.sim.state.instances.get(victim.id)!.state).to.equal('running');
      // The capture's own test instance (owner tag, client token) is terminated by the deletion.
      expect(['terminated', 'shutting-down']).to.include(s.sim.state.instances.get(own!)?.state ?? 'terminated');
    } finally {
      s.sim.faults.clear();
      await op.stop();
    }
  });
});
