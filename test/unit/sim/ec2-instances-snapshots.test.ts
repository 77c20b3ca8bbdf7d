// EC2 instances, volumes, snapshots, tags and zones through the real @aws-sdk/client-ec2 against eucasim.
import {
  CreateSnapshotCommand, CreateTagsCommand, CreateVolumeCommand, DeleteSnapshotCommand, DeleteTagsCommand,
  DescribeAvailabilityZonesCommand, DescribeInstancesCommand, DescribeRegionsCommand, DescribeSnapshotsCommand,
  DescribeTagsCommand, DescribeVolumesCommand, type Instance, RebootInstancesCommand, StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { rejection, startTestSim, stopTestSim, TEST_ACCOUNT, type TestSim, until } from './helpers.ts';

async function instances(t: TestSim, filters: { Name: string; Values: string[] }[] = []): Promise<Instance[]> {
  const out = await t.ec2.send(new DescribeInstancesCommand({ Filters: filters }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

describe('eucasim EC2: instances, volumes, snapshots, tags', () => {
  let t: TestSim;
  before(async () => {
    t = await startTestSim('eucalyptus-3.4', { latency: { instanceMs: 40, snapshotMs: 60 } });
  });
  after(() => stopTestSim(t));

  it('describes instances with the Eucalyptus fields and ownership', async () => {
    const all = await instances(t);
    expect(all).to.have.length(3);
    const ebs = all.find((i) => i.RootDeviceType === 'ebs')!;
    expect(ebs.InstanceId).to.match(/^i-[0-9A-F]{8}$/);
    expect(ebs.RootDeviceName).to.equal('/dev/sda1');
    expect(ebs.BlockDeviceMappings?.map((b) => b.DeviceName)).to.deep.equal(['/dev/sda1', '/dev/sdf']);
    expect(ebs.Platform).to.equal(undefined);
    expect(ebs.Placement?.AvailabilityZone).to.equal('zone-a');
    const win = all.find((i) => String(i.Platform) === 'windows')!;
    expect(win.RootDeviceType).to.equal('instance-store');
    const res = await t.ec2.send(new DescribeInstancesCommand({}));
    expect(res.Reservations![0]!.OwnerId).to.equal(TEST_ACCOUNT);
    const other = await t.otherEc2.send(new DescribeInstancesCommand({}));
    const otherId = other.Reservations![0]!.Instances![0]!.InstanceId!;
    const err = await rejection(t.ec2.send(new DescribeInstancesCommand({ InstanceIds: [otherId] })));
    expect(err.name).to.equal('InvalidInstanceID.NotFound');
  });

  it('filters instances by state, root device type, platform and tags', async () => {
    expect(await instances(t, [{ Name: 'root-device-type', Values: ['instance-store'] }])).to.have.length(2);
    expect(await instances(t, [{ Name: 'platform', Values: ['windows'] }])).to.have.length(1);
    expect(await instances(t, [{ Name: 'tag:Name', Values: ['*-linux'] }])).to.have.length(2);
    expect(await instances(t, [{ Name: 'tag-key', Values: ['Name'] }, { Name: 'instance-state-name', Values: ['stopped'] }])).to.have.length(0);
  });

  it('stops only EBS instances, over time, and starts them again', async () => {
    const [ebs] = await instances(t, [{ Name: 'root-device-type', Values: ['ebs'] }]);
    const [store] = await instances(t, [{ Name: 'tag:Name', Values: ['store-linux'] }]);
    const err = await rejection(t.ec2.send(new StopInstancesCommand({ InstanceIds: [store!.InstanceId!] })));
    expect(err.name).to.equal('UnsupportedOperation');
    const stop = await t.ec2.send(new StopInstancesCommand({ InstanceIds: [ebs!.InstanceId!] }));
    expect(stop.StoppingInstances![0]).to.deep.include({ InstanceId: ebs!.InstanceId });
    expect(stop.StoppingInstances![0]!.CurrentState).to.deep.equal({ Code: 64, Name: 'stopping' });
    await until(async () => (await instances(t, [{ Name: 'instance-id', Values: [ebs!.InstanceId!] }]))[0]!.State!.Name === 'stopped');
    const start = await t.ec2.send(new StartInstancesCommand({ InstanceIds: [ebs!.InstanceId!] }));
    expect(start.StartingInstances![0]!.CurrentState!.Name).to.equal('pending');
    await until(async () => (await instances(t, [{ Name: 'instance-id', Values: [ebs!.InstanceId!] }]))[0]!.State!.Name === 'running');
  });

  it('reboots without leaving running and records the reboot', async () => {
    const [ebs] = await instances(t, [{ Name: 'root-device-type', Values: ['ebs'] }]);
    await t.ec2.send(new RebootInstancesCommand({ InstanceIds: [ebs!.InstanceId!] }));
    expect((await instances(t, [{ Name: 'instance-id', Values: [ebs!.InstanceId!] }]))[0]!.State!.Name).to.equal('running');
    expect(t.sim.state.events.some((e) => e.type === 'reboot' && e.id === ebs!.InstanceId)).to.equal(true);
    expect(t.sim.log.count('RebootInstances')).to.equal(1);
  });

  it('snapshots go pending → completed with NN% progress; filters and owner', async () => {
    const vols = await t.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'size', Values: ['20'] }] }));
    const volumeId = vols.Volumes![0]!.VolumeId!;
    const snap = await t.ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: 'backup' }));
    expect(snap.SnapshotId).to.match(/^snap-[0-9A-F]{8}$/);
    expect(snap.State).to.equal('pending');
    expect(snap.Progress).to.match(/^\d+%$/);
    const done = await until(async () => {
      const d = await t.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }));
      return d.Snapshots![0]!.State === 'completed' ? d.Snapshots![0] : undefined;
    });
    expect(done.Progress).to.equal('100%');
    expect(done.VolumeSize).to.equal(20);
    const byVolume = await t.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [volumeId] }, { Name: 'status', Values: ['completed'] }] }));
    expect(byVolume.Snapshots!.map((s) => s.SnapshotId)).to.include(snap.SnapshotId);
    await t.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap.SnapshotId! }));
    const gone = await rejection(t.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] })));
    expect(gone.name).to.equal('InvalidSnapshot.NotFound');
  });

  it('rejects TagSpecifications as an unknown parameter on 3.4', async () => {
    const vols = await t.ec2.send(new DescribeVolumesCommand({}));
    const err = await rejection(t.ec2.send(new CreateSnapshotCommand({
      VolumeId: vols.Volumes![0]!.VolumeId!, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'k', Value: 'v' }] }],
    })));
    expect(err.name).to.equal('400 Bad Request');
  });

  it('rejects the ClientToken the SDK adds to CreateVolume, as a 2013 binding does', async () => {
    const err = await rejection(t.ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'zone-b', Size: 3 })));
    expect(err.name).to.equal('400 Bad Request');
    expect(err.message).to.contain('ClientToken');
  });

  it('tags resources and describes tags with filters', async () => {
    const [ebs] = await instances(t, [{ Name: 'root-device-type', Values: ['ebs'] }]);
    await t.ec2.send(new CreateTagsCommand({ Resources: [ebs!.InstanceId!], Tags: [{ Key: 'team', Value: 'blue' }] }));
    const tags = await t.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [ebs!.InstanceId!] }, { Name: 'key', Values: ['team'] }] }));
    expect(tags.Tags).to.deep.equal([{ ResourceId: ebs!.InstanceId, ResourceType: 'instance', Key: 'team', Value: 'blue' }]);
    const byType = await t.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['instance'] }, { Name: 'value', Values: ['*linux'] }] }));
    expect(byType.Tags).to.have.length(2);
    await t.ec2.send(new DeleteTagsCommand({ Resources: [ebs!.InstanceId!], Tags: [{ Key: 'team' }] }));
    expect((await instances(t, [{ Name: 'tag-key', Values: ['team'] }]))).to.have.length(0);
    const bad = await rejection(t.ec2.send(new CreateTagsCommand({ Resources: ['xyz-12345678'], Tags: [{ Key: 'a', Value: 'b' }] })));
    expect(bad.name).to.equal('InvalidID');
  });

  it('answers availability zones and regions', async () => {
    const zones = await t.ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(zones.AvailabilityZones!.map((z) => z.ZoneName)).to.deep.equal(['zone-a', 'zone-b']);
    const regions = await t.ec2.send(new DescribeRegionsCommand({}));
    expect(regions.Regions![0]!.RegionName).to.equal('eucalyptus');
  });
});
