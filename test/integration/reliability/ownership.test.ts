// Ownership is proven from the cloud, never assumed from a name or from status: an image someone else registers
// with a capture's name while it runs is neither adopted, re-tagged nor deleted; an image id written into status
// by a user is not deregistered when the capture goes with deletionPolicy Delete.
import { expect } from 'chai';
import { OWNER_TAG } from '../../../src/api/constants.ts';
import { createSnapshot, registerImage } from '../../../src/cloud/ec2.ts';
import { waitFor } from '../../env/index.ts';
import { gatewayFor } from '../cloud/sim-gateway.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, protectObjects, ResourceTracker } from './invariants.ts';
import { condOf, type WithStatus } from './helpers.ts';

/** A snapshot made by hand in the operator's account, of a fresh instance's root volume. */
async function handMadeSnapshot(s: Scenario): Promise<{ snapshotId: string; rootDeviceName: string }> {
  const gw = gatewayFor(s.sim);
  try {
    const inst = seedInstance(s);
    const snap = await createSnapshot(gw, { volumeId: inst.attachments[0]!.volumeId, description: 'made by hand' });
    await waitFor(() => s.sim.state.snapshots.get(snap.snapshotId)?.status === 'completed', { timeoutMs: 30_000, message: 'hand-made snapshot' });
    return { snapshotId: snap.snapshotId, rootDeviceName: inst.rootDeviceName };
  } finally {
    gw.destroy();
  }
}

/** An image registered by hand on that snapshot, untagged. */
async function handMadeImage(s: Scenario, name: string, snap?: { snapshotId: string; rootDeviceName: string }): Promise<{ imageId: string; snapshotId: string }> {
  const root = snap ?? await handMadeSnapshot(s);
  const gw = gatewayFor(s.sim);
  try {
    const imageId = await registerImage(gw, { name, rootDeviceName: root.rootDeviceName, blockDeviceMappings: [{ deviceName: root.rootDeviceName, ebs: { snapshotId: root.snapshotId } }] });
    await waitFor(() => s.sim.state.images.get(imageId)?.state === 'available', { timeoutMs: 30_000, message: 'hand-made image available' });
    return { imageId, snapshotId: root.snapshotId };
  } finally {
    gw.destroy();
  }
}

describe('reliability: ownership proven before adoption or deletion', function () {
  this.timeout(180_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
  });
  after(async () => s?.close());

  it('an image of the same name registered while an Orchestrated capture snapshots: DuplicateImageName, never adopted, re-tagged or deleted', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const handSnapshot = await handMadeSnapshot(s);
    s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 3_000 };
    try {
      const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true, deletionPolicy: 'Delete' }, 'race-name');
      await t.create('imagecaptures', m);
      await waitFor(async () => ((await s.get<WithStatus>('imagecaptures', m.metadata.name))?.status?.phase === 'Snapshotting'), { timeoutMs: 30_000, intervalMs: 50, message: 'capture snapshotting' });
      const foreign = await handMadeImage(s, m.spec.image.name, handSnapshot);
      protectObjects(s, baseline, [foreign.imageId, foreign.snapshotId]);
      const st = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000);
      expect(condOf(st, 'Stalled')?.reason).to.equal('DuplicateImageName');
      expect(condOf(st, 'Stalled')?.message).to.include(foreign.imageId).and.include('left untouched');
      expect((st.status as { imageId?: string }).imageId, 'not claimed').to.equal(undefined);
      const img = s.sim.state.images.get(foreign.imageId)!;
      expect(img.tags.has(OWNER_TAG), 'not re-tagged as ours').to.equal(false);
      // Deleting the stalled capture with policy Delete removes its own snapshots, not the hand-made image.
      await t.remove('imagecaptures', m.metadata.name);
      await s.waitGone('imagecaptures', m.metadata.name);
      expect(s.sim.state.images.get(foreign.imageId)!.state).to.equal('available');
      expect(s.sim.state.snapshots.get(foreign.snapshotId)!.status).to.equal('completed');
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 0 };
    }
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('a capture whose status.imageId a user pointed at another image: that image is neither re-tagged nor deregistered', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const foreign = await handMadeImage(s, `other-team-${Date.now()}`);
    protectObjects(s, baseline, [foreign.imageId, foreign.snapshotId]);
    const m = captureManifest(s, seedInstance(s).id, { deletionPolicy: 'Delete' }, 'status-hint');
    await t.create('imagecaptures', m);
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 60_000);
    const own = (await s.get<WithStatus>('imagecaptures', m.metadata.name))!.status!.imageId as string;
    // A namespace admin can write status.
    const r = await s.env.kubectl(['patch', 'imagecapture', m.metadata.name, '-n', s.namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { imageId: foreign.imageId } })]);
    expect(r.code, r.stderr).to.equal(0);
    // A spec edit makes the operator look again (tags are synced on the image status names).
    await s.env.kubectl(['patch', 'imagecapture', m.metadata.name, '-n', s.namespace, '--type=merge', '-p', JSON.stringify({ spec: { image: { tags: { team: 'mine' } } } })]);
    const st = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000);
    expect(condOf(st, 'Stalled')?.reason).to.equal('ImageNotOwned');
    expect(s.sim.state.images.get(foreign.imageId)!.tags.size, 'foreign image not tagged').to.equal(0);
    await t.remove('imagecaptures', m.metadata.name);
    await s.waitGone('imagecaptures', m.metadata.name);
    expect(s.sim.state.images.get(foreign.imageId)!.state, 'foreign image kept').to.equal('available');
    expect(s.sim.state.images.get(own)?.state ?? 'deregistered', 'its own image (owner tag) removed by policy Delete').to.equal('deregistered');
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
