// End to end against moto_server as released (aws dialect, the version pinned in scripts/versions.env). No shim:
// moto answers actions it lacks (ImportVolume, BundleInstance, DescribeBundleTasks) with an HTML 500 page, and the
// operator copes with that as it is, because a probe without a usable answer only leaves its capability unknown
// and no flow calls a bundle action on this cloud (no probe calls one either). What moto does differently from EC2 (and the operator
// reports): its CreateImage maps only the root device, and its RegisterImage ignores both TagSpecifications and
// the snapshots it is given (it registers a fresh root snapshot of its own).
import { CoreV1Api } from '@kubernetes/client-node';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { OWNER_TAG } from '../../../src/api/constants.ts';
import type { CloudProfile, ImageCapture, InstanceBundle } from '../../../src/api/types.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { applyMotoProfile, motoClient, motoImage, motoInstance, motoSnapshots, operatorCalls, startMoto, tagMap, type Moto } from './helpers.ts';

type Cap = ImageCapture & { status: NonNullable<ImageCapture['status']> };

let counter = 0;
function capture(instanceId: string, spec: Record<string, unknown> = {}) {
  const name = `moto-cap-${++counter}`;
  const { image, ...rest } = spec as { image?: Record<string, unknown> };
  return { metadata: { name }, spec: { cloudRef: { name: 'moto' }, instanceId, image: { name: `img-${name}-${Date.now()}`, ...image }, ...rest } };
}

function cond(c: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }, type: string) {
  return c.status?.conditions?.find((x) => x.type === type);
}

describe('the operator against moto_server as released', function () {
  this.timeout(120_000);
  let s: Scenario;
  let moto: Moto;
  let ec2: EC2Client;
  let cloudId: string;

  before(async () => {
    moto = await startMoto();
    ec2 = motoClient(moto);
    s = await startScenario({ profile: 'aws', operator: false });
    cloudId = `${s.namespace}/moto`;
    await applyMotoProfile(s, 'moto', moto.url);
    // A long enough settle after RebootInstances to restart moto while a capture waits for its instance.
    await s.startOperator({ rebootSettleMs: 2_500 });
  });
  after(async () => {
    await s?.close();
    ec2?.destroy();
    await moto?.stop();
  });

  async function eventsOf(name: string) {
    const core = s.env.kubeConfig.makeApiClient(CoreV1Api);
    return (await core.listNamespacedEvent({ namespace: s.namespace, fieldSelector: `involvedObject.name=${name}` })).items;
  }

  it('the CloudProfile becomes Ready; every probe answers, S3 (moto on the same endpoint) takes SigV4', async () => {
    const p = await s.waitForCondition('cloudprofiles', 'moto', 'Ready', 'True', 30_000) as unknown as CloudProfile;
    expect(p.status!.capabilities).to.include({ dialect: 'aws', createImage: true, bundleLinux: false, bundleEbs: false, s3Signature: 'v4' });
    expect(p.status!.unknownCapabilities).to.equal(undefined);
    expect(cond(p, 'CapabilitiesDetected')!.status).to.equal('True');
  });

  it('CreateImage, noReboot true: Ready, the tags on the image and its snapshot checked in moto, no reboot sent', async () => {
    const inst = await motoInstance(ec2);
    const reboots = await operatorCalls(cloudId, 'RebootInstances');
    const m = capture(inst.instanceId, { strategy: 'CreateImage', noReboot: true, image: { tags: { team: 'web' } } });
    const created = await s.create<Cap>('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as unknown as Cap;
    expect(c.status.indications).to.deep.equal(['NoReboot']);
    expect(cond(c, 'ImageVerified')).to.include({ status: 'True' });
    const image = (await motoImage(ec2, c.status.imageId!))!;
    const owner = `${s.namespace}/${m.metadata.name}/${created.metadata!.uid}`;
    expect(tagMap(image.Tags)).to.include({ team: 'web', [OWNER_TAG]: owner });
    const snapIds = image.BlockDeviceMappings!.map((b) => b.Ebs?.SnapshotId).filter((x): x is string => !!x);
    expect(snapIds).to.have.length(1);
    for (const snap of await motoSnapshots(ec2, snapIds)) expect(tagMap(snap.Tags)).to.include({ team: 'web', [OWNER_TAG]: owner });
    // moto as released does not log or expose NoReboot; what it can show: the operator sent no RebootInstances.
    expect(await operatorCalls(cloudId, 'RebootInstances')).to.equal(reboots);
  });

  it('CreateImage, noReboot false, with an attached volume: moto maps only the root device, and the capture says so', async () => {
    const inst = await motoInstance(ec2, 1);
    const m = capture(inst.instanceId, { strategy: 'CreateImage', noReboot: false });
    await s.create('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'ImageVerified', 'False') as unknown as Cap;
    expect(c.status.phase).to.equal('Available');
    expect(c.status.indications).to.deep.equal(['Rebooted']);
    expect(cond(c, 'ImageVerified')!.message).to.include(`device /dev/sdf (volume ${inst.volumes['/dev/sdf']}) is missing from the image`);
    expect((await eventsOf(m.metadata.name)).some((e) => e.reason === 'ImageDiffers')).to.equal(true);
  });

  it('Orchestrated, noReboot false: reboots, snapshots, registers; the tags moto dropped are added; its own root snapshot is reported', async () => {
    const inst = await motoInstance(ec2);
    const reboots = await operatorCalls(cloudId, 'RebootInstances');
    const m = capture(inst.instanceId, { strategy: 'Orchestrated', noReboot: false, image: { tags: { team: 'db' } } });
    await s.create('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as unknown as Cap;
    expect(c.status.indications).to.deep.equal(['Rebooted']);
    expect(await operatorCalls(cloudId, 'RebootInstances')).to.equal(reboots + 1);
    const image = (await motoImage(ec2, c.status.imageId!))!;
    expect(tagMap(image.Tags)).to.include({ team: 'db' }).and.to.have.property(OWNER_TAG);
    const repaired = (await eventsOf(m.metadata.name)).find((e) => e.reason === 'TagsRepaired');
    expect(repaired?.message).to.include(c.status.imageId!);
    const ours = c.status.snapshots!.map((x) => x.snapshotId!);
    for (const snap of await motoSnapshots(ec2, ours)) expect(tagMap(snap.Tags)).to.include({ team: 'db' });
    // moto 5.2.5 registers a root snapshot of its own instead of the one given: verification names it.
    expect(cond(c, 'ImageVerified')!.message).to.include(`not ${ours[0]}`);
  });

  it('deletionPolicy Retain keeps the image in moto; Delete deregisters it and removes every snapshot', async () => {
    const keep = capture((await motoInstance(ec2)).instanceId, { strategy: 'CreateImage', noReboot: true, deletionPolicy: 'Retain' });
    const drop = capture((await motoInstance(ec2, 1)).instanceId, { strategy: 'Orchestrated', noReboot: true, deletionPolicy: 'Delete' });
    await s.create('imagecaptures', keep);
    await s.create('imagecaptures', drop);
    const kept = await s.waitForCondition('imagecaptures', keep.metadata.name, 'Ready') as unknown as Cap;
    const dropped = await s.waitForCondition('imagecaptures', drop.metadata.name, 'Ready') as unknown as Cap;
    const droppedImage = (await motoImage(ec2, dropped.status.imageId!))!;
    const droppedSnaps = [...new Set([...dropped.status.snapshots!.map((x) => x.snapshotId!), ...droppedImage.BlockDeviceMappings!.map((b) => b.Ebs!.SnapshotId!)])];
    await s.remove('imagecaptures', keep.metadata.name);
    await s.remove('imagecaptures', drop.metadata.name);
    await s.waitGone('imagecaptures', keep.metadata.name);
    await s.waitGone('imagecaptures', drop.metadata.name);
    expect((await motoImage(ec2, kept.status.imageId!))?.State).to.equal('available');
    expect(await motoSnapshots(ec2, kept.status.snapshots!.map((x) => x.snapshotId!))).to.have.length(1);
    const gone = await motoImage(ec2, dropped.status.imageId!);
    expect(gone === undefined || gone.State === 'deregistered', JSON.stringify(gone)).to.equal(true);
    expect(await motoSnapshots(ec2, droppedSnaps)).to.deep.equal([]);
  });

  it('an InstanceBundle is refused clearly, and deleted without a bundle task look-up', async () => {
    const inst = await motoInstance(ec2);
    const name = 'moto-bundle';
    await s.create('instancebundles', { metadata: { name }, spec: { cloudRef: { name: 'moto' }, instanceId: inst.instanceId, storage: { bucket: 'bundles', prefix: name } } });
    const b = await s.waitForCondition('instancebundles', name, 'Stalled') as unknown as InstanceBundle;
    expect(cond(b, 'Stalled')!.reason).to.equal('UnsupportedByCloud');
    expect(cond(b, 'Stalled')!.message).to.match(/bundleEbs|EBS/);
    await s.remove('instancebundles', name);
    await s.waitGone('instancebundles', name, 15_000);
    expect(await operatorCalls(cloudId, 'DescribeBundleTasks')).to.equal(0);
    expect(await operatorCalls(cloudId, 'BundleInstance')).to.equal(0);
  });

  it('a capture and a bundle whose CloudProfile never became Ready are deleted', async () => {
    await applyMotoProfile(s, 'moto-down', 'http://127.0.0.1:9');
    await s.waitForCondition('cloudprofiles', 'moto-down', 'Reconciling', 'True', 20_000);
    const base = capture('i-0123456789abcdef0');
    const m = { ...base, spec: { ...base.spec, cloudRef: { name: 'moto-down' } } };
    await s.create('imagecaptures', m);
    await s.create('instancebundles', { metadata: { name: 'moto-down-bundle' }, spec: { cloudRef: { name: 'moto-down' }, instanceId: 'i-0123456789abcdef0', storage: { bucket: 'bundles', prefix: 'p-down' } } });
    await waitFor(async () => (await s.get<Cap>('imagecaptures', m.metadata.name))?.metadata.finalizers?.length === 1
      && (await s.get<InstanceBundle>('instancebundles', 'moto-down-bundle'))?.metadata.finalizers?.length === 1, { timeoutMs: 20_000, message: 'finalizers' });
    await s.remove('imagecaptures', m.metadata.name);
    await s.remove('instancebundles', 'moto-down-bundle');
    await s.waitGone('imagecaptures', m.metadata.name, 15_000);
    await s.waitGone('instancebundles', 'moto-down-bundle', 15_000);
  });

  it('moto restarted mid-capture (its state lost): the outage is retried, the lost instance is reported, deletion still works', async () => {
    const inst = await motoInstance(ec2);
    const m = capture(inst.instanceId, { strategy: 'Orchestrated', noReboot: false, deletionPolicy: 'Delete' });
    await s.create('imagecaptures', m);
    // The reboot was sent; the capture now waits rebootSettleMs for the guest.
    await waitFor(async () => (await s.get<Cap>('imagecaptures', m.metadata.name))?.status?.indications?.includes('Rebooted') === true, { timeoutMs: 20_000, intervalMs: 50, message: 'reboot sent' });
    const port = moto.port;
    await moto.stop();
    await waitFor(async () => {
      const c = await s.get<Cap>('imagecaptures', m.metadata.name);
      return cond(c!, 'Reconciling')?.reason === 'CloudUnreachable';
    }, { timeoutMs: 30_000, intervalMs: 100, message: 'CloudUnreachable while moto is down' });
    expect(cond((await s.get<Cap>('imagecaptures', m.metadata.name))!, 'Stalled')?.status).to.not.equal('True');
    moto = await startMoto({ port });
    const stalled = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000) as unknown as Cap;
    expect(cond(stalled, 'Stalled')!.reason).to.equal('InstanceNotFound');
    await s.remove('imagecaptures', m.metadata.name);
    await s.waitGone('imagecaptures', m.metadata.name, 30_000);
    // The profile itself stayed usable across the restart.
    expect(cond((await s.get<CloudProfile>('cloudprofiles', 'moto'))!, 'Ready')?.status).to.equal('True');
  });
});
