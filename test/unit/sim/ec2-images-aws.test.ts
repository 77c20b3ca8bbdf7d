// CreateImage / RegisterImage / DescribeImages / DeregisterImage per profile, and the aws dialect (ids,
// TagSpecifications, error codes), through the real @aws-sdk/client-ec2.
import {
  CreateImageCommand, CreateSnapshotCommand, CreateVolumeCommand, DeleteSnapshotCommand, DeleteVolumeCommand,
  DeregisterImageCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeSnapshotsCommand, DescribeVolumesCommand,
  type Instance, RegisterImageCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { rejection, startTestSim, stopTestSim, type TestSim, until } from './helpers.ts';

async function byName(t: TestSim, name: string): Promise<Instance> {
  const out = await t.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: [name] }] }));
  return out.Reservations![0]!.Instances![0]!;
}

describe('eucasim EC2 images', () => {
  describe('eucalyptus-3.3', () => {
    let t: TestSim;
    before(async () => { t = await startTestSim('eucalyptus-3.3'); });
    after(() => stopTestSim(t));

    it('CreateImage is a stub that returns no image id and creates nothing', async () => {
      const ebs = await byName(t, 'ebs-linux');
      const out = await t.ec2.send(new CreateImageCommand({ InstanceId: ebs.InstanceId!, Name: 'stub-image' }));
      expect(out.ImageId).to.equal(undefined);
      const imgs = await t.ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['stub-image'] }] }));
      expect(imgs.Images).to.have.length(0);
    });
  });

  describe('eucalyptus-3.4', () => {
    let t: TestSim;
    before(async () => { t = await startTestSim('eucalyptus-3.4', { latency: { snapshotMs: 50, imageMs: 20 } }); });
    after(() => stopTestSim(t));

    it('captures root and attached volumes, reboots unless NoReboot, pending → available', async () => {
      const ebs = await byName(t, 'ebs-linux');
      const rebootsBefore = t.sim.state.instances.get(ebs.InstanceId!)!.rebootCount;
      const out = await t.ec2.send(new CreateImageCommand({ InstanceId: ebs.InstanceId!, Name: 'web_(v1)/2024', Description: 'd' }));
      expect(out.ImageId).to.match(/^emi-[0-9A-F]{8}$/);
      expect(t.sim.state.instances.get(ebs.InstanceId!)!.rebootCount).to.equal(rebootsBefore + 1);
      const first = (await t.ec2.send(new DescribeImagesCommand({ ImageIds: [out.ImageId!] }))).Images![0]!;
      expect(first.State).to.equal('pending');
      const image = await until(async () => {
        const d = (await t.ec2.send(new DescribeImagesCommand({ ImageIds: [out.ImageId!] }))).Images![0]!;
        return d.State === 'available' ? d : undefined;
      });
      expect(image.BlockDeviceMappings!.map((b) => b.DeviceName)).to.deep.equal(['/dev/sda1', '/dev/sdf']);
      const snapIds = image.BlockDeviceMappings!.map((b) => b.Ebs!.SnapshotId!);
      const snaps = await t.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: snapIds }));
      expect(snaps.Snapshots!.every((s) => s.State === 'completed')).to.equal(true);
      const bySnap = await t.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'block-device-mapping.snapshot-id', Values: [snapIds[0]!] }] }));
      expect(bySnap.Images!.map((i) => i.ImageId)).to.deep.equal([out.ImageId]);
      const inUse = await rejection(t.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapIds[0]! })));
      expect(inUse.name).to.equal('InvalidSnapshot.InUse');

      await t.ec2.send(new CreateImageCommand({ InstanceId: ebs.InstanceId!, Name: 'quiet-image', NoReboot: true }));
      expect(t.sim.state.instances.get(ebs.InstanceId!)!.rebootCount).to.equal(rebootsBefore + 1);
    });

    it('validates name, duplicates, description, root device mapping and instance kind', async () => {
      const ebs = await byName(t, 'ebs-linux');
      const store = await byName(t, 'store-linux');
      const call = (input: Partial<ConstructorParameters<typeof CreateImageCommand>[0]>) =>
        rejection(t.ec2.send(new CreateImageCommand({ InstanceId: ebs.InstanceId!, Name: 'valid-name', ...input })));
      expect((await call({ Name: 'has.dot' })).name).to.equal('InvalidAMIName.Malformed');
      expect((await call({ Name: 'ab' })).name).to.equal('InvalidAMIName.Malformed');
      expect((await call({ Name: 'quiet-image' })).name).to.equal('InvalidAMIName.Duplicate');
      expect((await call({ Description: 'x'.repeat(256) })).name).to.equal('InvalidParameter');
      expect((await call({ BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 20 } }] })).name).to.equal('InvalidBlockDeviceMapping');
      const notEbs = await call({ InstanceId: store.InstanceId! });
      expect(notEbs.message).to.contain('not booted from an EBS volume');
      expect((await call({ InstanceId: 'i-00000000' })).name).to.equal('InvalidInstanceID.NotFound');
    });

    it('registers an EBS image from a snapshot, filters by name wildcard, deregisters', async () => {
      const vols = await t.ec2.send(new DescribeVolumesCommand({}));
      const snap = await t.ec2.send(new CreateSnapshotCommand({ VolumeId: vols.Volumes![0]!.VolumeId! }));
      const reg = await t.ec2.send(new RegisterImageCommand({
        Name: 'registered-1', RootDeviceName: '/dev/sda1', Architecture: 'x86_64',
        BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: snap.SnapshotId! } }],
      }));
      const found = await until(async () => {
        const d = await t.ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['regist?red-*'] }, { Name: 'state', Values: ['available'] }] }));
        return d.Images!.length === 1 ? d.Images![0] : undefined;
      });
      expect(found.ImageId).to.equal(reg.ImageId);
      expect(found.RootDeviceType).to.equal('ebs');
      const neither = await rejection(t.ec2.send(new RegisterImageCommand({ Name: 'nothing-here' })));
      expect(neither.message).to.contain('must specify either ImageLocation');
      await t.ec2.send(new DeregisterImageCommand({ ImageId: reg.ImageId! }));
      expect((await rejection(t.ec2.send(new DescribeImagesCommand({ ImageIds: [reg.ImageId!] })))).name).to.equal('InvalidAMIID.NotFound');
    });

    it('hides private images of other accounts and refuses changes to public ones', async () => {
      const mine = await t.ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
      const base = mine.Images!.find((i) => i.Name === 'base-linux')!;
      expect((await rejection(t.otherEc2.send(new DescribeImagesCommand({ ImageIds: [base.ImageId!] })))).name).to.equal('InvalidAMIID.NotFound');
      t.sim.state.images.get(base.ImageId!)!.isPublic = true;
      const seen = await t.otherEc2.send(new DescribeImagesCommand({ ImageIds: [base.ImageId!] }));
      expect(seen.Images![0]!.Public).to.equal(true);
      const denied = await rejection(t.otherEc2.send(new DeregisterImageCommand({ ImageId: base.ImageId! })));
      expect(denied.name).to.equal('AuthFailure');
    });
  });

  describe('aws', () => {
    let t: TestSim;
    before(async () => { t = await startTestSim('aws'); });
    after(() => stopTestSim(t));

    it('uses ami- and 17-hex ids, TagSpecifications, and AWS error codes', async () => {
      const ebs = await byName(t, 'ebs-linux');
      expect(ebs.InstanceId).to.match(/^i-[0-9a-f]{17}$/);
      expect(ebs.RootDeviceName).to.equal('/dev/xvda');
      const out = await t.ec2.send(new CreateImageCommand({
        InstanceId: ebs.InstanceId!, Name: 'AWS image 1.0 [test]', NoReboot: true,
        TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'owner', Value: 'me' }] }, { ResourceType: 'snapshot', Tags: [{ Key: 'owner', Value: 'me' }] }],
      }));
      expect(out.ImageId).to.match(/^ami-[0-9a-f]{17}$/);
      const img = (await t.ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'tag:owner', Values: ['me'] }] }))).Images!;
      expect(img.map((i) => i.ImageId)).to.deep.equal([out.ImageId]);
      const snaps = await t.ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag-key', Values: ['owner'] }] }));
      expect(snaps.Snapshots).to.have.length(2);
      expect((await rejection(t.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-xyz'] })))).name).to.equal('InvalidInstanceID.Malformed');
      expect((await rejection(t.ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })))).name).to.equal('InvalidAMIID.NotFound');
    });

    it('faults: CreateImage that maps only the root device; RegisterImage that drops TagSpecifications', async () => {
      const ebs = await byName(t, 'ebs-linux');
      t.sim.faults.set({ rootOnlyCreateImage: { count: 1 }, ignoreTagSpecifications: { actions: ['RegisterImage'], count: 1 } });
      const out = await t.ec2.send(new CreateImageCommand({ InstanceId: ebs.InstanceId!, Name: 'root only', NoReboot: true }));
      await until(async () => (await t.ec2.send(new DescribeImagesCommand({ ImageIds: [out.ImageId!] }))).Images![0]!.State === 'available');
      const img = (await t.ec2.send(new DescribeImagesCommand({ ImageIds: [out.ImageId!] }))).Images![0]!;
      expect(img.BlockDeviceMappings!.map((b) => b.DeviceName)).to.deep.equal(['/dev/xvda']); // /dev/sdf dropped
      const root = img.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
      const reg = await t.ec2.send(new RegisterImageCommand({
        Name: 'untagged', RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: root } }],
        TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'k', Value: 'v' }] }],
      }));
      const registered = (await t.ec2.send(new DescribeImagesCommand({ ImageIds: [reg.ImageId!] }))).Images![0]!;
      expect(registered.Tags ?? []).to.deep.equal([]);
      expect(t.sim.faults.fired).to.include({ rootOnlyCreateImage: 1, ignoreTagSpecifications: 1 });
    });

    it('creates, describes and deletes volumes', async () => {
      const vol = await t.ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'zone-b', Size: 3 }));
      expect(vol.VolumeId).to.match(/^vol-[0-9a-f]{17}$/);
      await until(async () => (await t.ec2.send(new DescribeVolumesCommand({ VolumeIds: [vol.VolumeId!] }))).Volumes![0]!.State === 'available');
      await t.ec2.send(new DeleteVolumeCommand({ VolumeId: vol.VolumeId! }));
      expect((await rejection(t.ec2.send(new DescribeVolumesCommand({ VolumeIds: [vol.VolumeId!] })))).name).to.equal('InvalidVolume.NotFound');
      expect((await rejection(t.ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'nowhere', Size: 1 })))).name).to.equal('InvalidZone.NotFound');
    });
  });
});
