// ImageCapture strategy ViaBundle: an instance-store instance becomes an EBS image on Eucalyptus 4.0 (bundle to
// a staging bucket, ImportVolume, snapshot, register, clean up); refused with a pointer to InstanceBundle on
// 3.4; a failed conversion stalls and leaves nothing behind.
import { expect } from 'chai';
import type { ImageCaptureStatus } from '../../../src/api/types.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { BUNDLE_FIXTURES, bundleObjects, callsSince, condition, liveOwned, seed, tasksOf } from '../instancebundle/helpers.ts';
import { captureOf, imports, stagingBucket } from './helpers.ts';

type WithStatus = { status?: ImageCaptureStatus; metadata: { uid: string } };

describe('ImageCapture ViaBundle on eucalyptus-4.0', function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-4.0', fixtures: BUNDLE_FIXTURES });
  });
  after(async () => s?.close());

  it('captures an instance-store instance as an EBS image and removes every temporary object', async () => {
    const inst = seed(s, { platform: 'linux' });
    const m = captureOf(s, inst.id);
    const before = s.sim.log.byAction();
    const importsBefore = imports(s);
    await s.create('imagecaptures', m);
    const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as WithStatus;
    console.log(`      calls (4.0 ViaBundle capture): ${JSON.stringify(callsSince(s, before))}`);
    const st = done.status!;
    expect(st.strategy).to.equal('ViaBundle');
    expect(st.phase).to.equal('Available');
    for (const c of ['BundleStored', 'VolumeImported', 'SnapshotsCompleted', 'ImageRegistered']) expect(condition(done, c)?.status, c).to.equal('True');
    expect(st.bundleId).to.match(/^bun-/);
    expect(st.conversionTaskId).to.match(/^import-vol-/);
    expect(st.importedVolumeId).to.match(/^vol-/);
    const image = s.sim.state.images.get(st.imageId!)!;
    expect(image.rootDeviceType).to.equal('ebs');
    expect(image.description).to.equal('via bundle');
    const snapshotId = st.snapshots![0]!.snapshotId!;
    expect(image.blockDeviceMappings.map((b) => b.ebs?.snapshotId)).to.include(snapshotId);
    expect(s.sim.state.snapshots.get(snapshotId)!.tags.get('team')).to.equal('imaging');
    expect(image.tags.get('team')).to.equal('imaging');
    // Temporary objects: the imported volume and the staged bundle are gone; one task and one import were made.
    expect(s.sim.state.volumes.get(st.importedVolumeId!)?.status ?? 'deleted').to.equal('deleted');
    expect(liveOwned(s, m.metadata.name).volumes).to.have.length(0);
    expect(bundleObjects(s, stagingBucket(s), `eio-${done.metadata.uid}`)).to.deep.equal([]);
    expect(tasksOf(s, inst.id)).to.have.length(1);
    expect(imports(s) - importsBefore).to.equal(1);
  });

  it('keeps the staged objects when spec.staging.keepObjects is set', async () => {
    const inst = seed(s);
    const m = captureOf(s, inst.id, { strategy: 'ViaBundle', staging: { bucket: 'bundles', prefix: 'kept-stage', keepObjects: true } });
    await s.create('imagecaptures', m);
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready');
    expect(bundleObjects(s, 'bundles', 'kept-stage')).to.include('kept-stage.manifest.xml');
  });

  it('a failed conversion stalls with ConversionFailed and leaves no temporary object', async () => {
    s.sim.faults.set({ failConversion: { count: 1 } });
    const inst = seed(s);
    const m = captureOf(s, inst.id);
    await s.create('imagecaptures', m);
    const stalled = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled') as WithStatus;
    expect(condition(stalled, 'Stalled')?.reason).to.equal('ConversionFailed');
    expect(condition(stalled, 'Stalled')?.message).to.match(/failed \(internal server error\)/);
    expect(condition(stalled, 'VolumeImported')?.status).to.equal('False');
    const owned = liveOwned(s, m.metadata.name);
    expect(owned.volumes).to.have.length(0);
    expect(owned.snapshots).to.have.length(0);
    expect(owned.images).to.have.length(0);
    expect(bundleObjects(s, stagingBucket(s), `eio-${stalled.metadata.uid}`)).to.deep.equal([]);
  });
});

describe('ImageCapture ViaBundle on eucalyptus-3.4', function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', fixtures: BUNDLE_FIXTURES });
  });
  after(async () => s?.close());

  it('is refused clearly: no ImportVolume, use an InstanceBundle with register', async () => {
    const inst = seed(s);
    const m = captureOf(s, inst.id, { strategy: 'ViaBundle' });
    await s.create('imagecaptures', m);
    const stalled = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled');
    expect(condition(stalled, 'Stalled')?.reason).to.equal('UnsupportedByCloud');
    expect(condition(stalled, 'Stalled')?.message).to.match(/ImportVolume.*InstanceBundle/);
    expect(tasksOf(s, inst.id)).to.have.length(0);
  });
});
