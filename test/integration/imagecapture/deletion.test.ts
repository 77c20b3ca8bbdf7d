// deletionPolicy Retain and Delete, after completion and mid-capture: the finalizer goes only after the policy
// is carried out, and nothing temporary is left in the cloud.
import { expect } from 'chai';
import { DIALECT_PROFILES, startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, ownedObjects, seedInstance } from './helpers.ts';

for (const profile of DIALECT_PROFILES) describe(`ImageCapture deletion (${profile})`, function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile });
  });
  after(async () => s?.close());

  for (const strategy of ['CreateImage', 'Orchestrated']) {
    it(`Retain keeps the image and its snapshots (${strategy})`, async () => {
      const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy, deletionPolicy: 'Retain' });
      await s.create('imagecaptures', m);
      const imageId = ((await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready')).status as { imageId: string }).imageId;
      await s.remove('imagecaptures', m.metadata.name);
      await s.waitGone('imagecaptures', m.metadata.name);
      expect(s.sim.state.images.get(imageId)!.state).to.equal('available');
      expect(ownedObjects(s, s.namespace, m.metadata.name).snapshots).to.have.length(2);
    });

    it(`Delete deregisters the image and deletes its snapshots (${strategy})`, async () => {
      const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy, deletionPolicy: 'Delete' });
      await s.create('imagecaptures', m);
      const imageId = ((await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready')).status as { imageId: string }).imageId;
      await s.remove('imagecaptures', m.metadata.name);
      await s.waitGone('imagecaptures', m.metadata.name);
      expect(s.sim.state.images.get(imageId)?.state ?? 'deregistered').to.equal('deregistered');
      const owned = ownedObjects(s, s.namespace, m.metadata.name);
      expect(owned.images).to.have.length(0);
      expect(owned.snapshots).to.have.length(0);
    });
  }

  it('deleting mid-capture (snapshots pending) under Retain removes the unfinished snapshots', async () => {
    s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 60_000 };
    try {
      const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true });
      await s.create('imagecaptures', m);
      await s.waitForCondition('imagecaptures', m.metadata.name, 'Reconciling');
      await waitUntil(() => ownedObjects(s, s.namespace, m.metadata.name).snapshots.length === 2);
      await s.remove('imagecaptures', m.metadata.name);
      await s.waitGone('imagecaptures', m.metadata.name);
      const owned = ownedObjects(s, s.namespace, m.metadata.name);
      expect(owned.snapshots).to.have.length(0);
      expect(owned.images).to.have.length(0);
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 0 };
    }
  });

  it('a capture past spec.timeout is Stalled with reason Timeout and its unfinished snapshots are removed', async () => {
    s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 60_000 };
    try {
      const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true, timeout: '3s' });
      await s.create('imagecaptures', m);
      const obj = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000);
      const stalled = (obj.status as { conditions: Array<{ type: string; reason: string; message: string }> }).conditions.find((c) => c.type === 'Stalled')!;
      expect(stalled.reason).to.equal('Timeout');
      expect(stalled.message).to.match(/spec.timeout \(3s\)/);
      expect(s.sim.log.count('CreateSnapshot')).to.be.greaterThan(0);
      await waitUntil(() => ownedObjects(s, s.namespace, m.metadata.name).snapshots.length === 0);
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 0 };
    }
  });
});

async function waitUntil(fn: () => boolean, timeoutMs = 30_000): Promise<void> {
  const { waitFor } = await import('../../env/index.ts');
  await waitFor(async () => fn(), { timeoutMs, intervalMs: 50, message: 'cloud objects to appear' });
}
