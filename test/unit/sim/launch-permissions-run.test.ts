// ModifyImageAttribute / DescribeImageAttribute (launch permissions) and RunInstances → running →
// TerminateInstances, GetConsoleOutput and the neverRunning fault, through the real @aws-sdk/client-ec2.
import {
  DescribeImageAttributeCommand, DescribeImagesCommand, DescribeInstancesCommand, GetConsoleOutputCommand,
  type Instance, ModifyImageAttributeCommand, ResetImageAttributeCommand, RunInstancesCommand, TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { rejection, startTestSim, stopTestSim, type TestSim, until } from './helpers.ts';

const OTHER_ACCOUNT = '222222222222';

async function baseImage(t: TestSim): Promise<string> {
  const out = await t.ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['base-linux'] }] }));
  return out.Images![0]!.ImageId!;
}

async function permissions(t: TestSim, imageId: string): Promise<string[]> {
  const out = await t.ec2.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
  return (out.LaunchPermissions ?? []).map((p) => p.UserId ?? `group:${p.Group}`);
}

async function instance(t: TestSim, id: string): Promise<Instance> {
  const out = await t.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations![0]!.Instances![0]!;
}

for (const profile of ['eucalyptus-3.4', 'aws'] as const) {
  describe(`eucasim ${profile}: launch permissions and instances from images`, () => {
    let t: TestSim;
    before(async () => { t = await startTestSim(profile, { latency: { instanceMs: 40 } }); });
    after(() => stopTestSim(t));

    it('adds, lists and removes account and group permissions; a shared image is visible to that account', async () => {
      const imageId = await baseImage(t);
      expect(await permissions(t, imageId)).to.deep.equal([]);
      expect((await rejection(t.otherEc2.send(new DescribeImagesCommand({ ImageIds: [imageId] })))).name).to.equal('InvalidAMIID.NotFound');
      await t.ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ UserId: OTHER_ACCOUNT }] } }));
      expect(await permissions(t, imageId)).to.deep.equal([OTHER_ACCOUNT]);
      const seen = await t.otherEc2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      expect(seen.Images![0]!.ImageId).to.equal(imageId);
      await t.ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ Group: 'all' }] } }));
      expect(await permissions(t, imageId)).to.deep.equal(['group:all', OTHER_ACCOUNT]);
      const pub = await t.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      expect(pub.Images![0]!.Public).to.equal(true);
      await t.ec2.send(new ModifyImageAttributeCommand({
        ImageId: imageId, LaunchPermission: { Remove: [{ Group: 'all' }, { UserId: OTHER_ACCOUNT }] },
      }));
      expect(await permissions(t, imageId)).to.deep.equal([]);
      // The older request form euca2ools sends: OperationType + UserId.N / UserGroup.N.
      await t.ec2.send(new ModifyImageAttributeCommand({
        ImageId: imageId, Attribute: 'launchPermission', OperationType: 'add', UserIds: [OTHER_ACCOUNT], UserGroups: ['all'],
      }));
      expect(await permissions(t, imageId)).to.deep.equal(['group:all', OTHER_ACCOUNT]);
      await t.ec2.send(new ResetImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
      expect(await permissions(t, imageId)).to.deep.equal([]);
    });

    it('refuses bad items, other accounts and unknown attributes', async () => {
      const imageId = await baseImage(t);
      const bad = await rejection(t.ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ UserId: 'alice' }] } })));
      expect(bad.name).to.equal('InvalidAMIAttributeItemValue');
      const group = await rejection(t.ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ Group: 'admins' as 'all' }] } })));
      expect(group.name).to.equal('InvalidAMIAttributeItemValue');
      await t.ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ UserId: OTHER_ACCOUNT }] } }));
      const foreign = await rejection(t.otherEc2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Remove: [{ UserId: OTHER_ACCOUNT }] } })));
      expect(foreign.name).to.equal(profile === 'aws' ? 'UnauthorizedOperation' : 'AuthFailure');
      const read = await rejection(t.otherEc2.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' })));
      expect(read.name).to.equal(profile === 'aws' ? 'UnauthorizedOperation' : 'AuthFailure');
      const attr = await rejection(t.ec2.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'color' as 'kernel' })));
      expect(attr.name).to.equal('InvalidParameterValue');
      await t.ec2.send(new ResetImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
    });

    it('runs an instance from an image: pending → running, console output, terminate → terminated', async () => {
      const imageId = await baseImage(t);
      const run = await t.ec2.send(new RunInstancesCommand({
        ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 'm1.small', Placement: { AvailabilityZone: 'zone-b' },
      }));
      const id = run.Instances![0]!.InstanceId!;
      expect(run.Instances![0]!.State!.Name).to.equal('pending');
      expect(run.Instances![0]!.ImageId).to.equal(imageId);
      expect(run.Instances![0]!.Placement!.AvailabilityZone).to.equal('zone-b');
      const early = await t.ec2.send(new GetConsoleOutputCommand({ InstanceId: id }));
      expect(early.Output ?? '').to.equal('');
      await until(async () => (await instance(t, id)).State!.Name === 'running');
      const rootVolume = (await instance(t, id)).BlockDeviceMappings![0]!.Ebs!.VolumeId!;
      const out = await t.ec2.send(new GetConsoleOutputCommand({ InstanceId: id }));
      expect(Buffer.from(out.Output!, 'base64').toString('utf8')).to.match(new RegExp(`${id} login:`));
      const term = await t.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      expect(term.TerminatingInstances![0]!.CurrentState!.Name).to.equal('shutting-down');
      expect(term.TerminatingInstances![0]!.PreviousState!.Name).to.equal('running');
      await until(async () => (await instance(t, id)).State!.Name === 'terminated');
      expect(t.sim.state.volumes.has(rootVolume)).to.equal(false);
      const again = await t.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      expect(again.TerminatingInstances![0]!.CurrentState!.Name).to.equal('terminated');
    });

    it('answers a repeated client token with the same reservation', async () => {
      const imageId = await baseImage(t);
      const first = await t.ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, ClientToken: 'boot-check-1' }));
      const second = await t.ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, ClientToken: 'boot-check-1' }));
      expect(second.Instances![0]!.InstanceId).to.equal(first.Instances![0]!.InstanceId);
      await t.ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.Instances![0]!.InstanceId!] }));
    });

    it('lets another account run a shared image only while it is shared', async () => {
      const imageId = await baseImage(t);
      const denied = await rejection(t.otherEc2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 })));
      expect(denied.name).to.equal('InvalidAMIID.NotFound');
      await t.ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ UserId: OTHER_ACCOUNT }] } }));
      const run = await t.otherEc2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
      expect(run.OwnerId).to.equal(OTHER_ACCOUNT);
      await t.otherEc2.send(new TerminateInstancesCommand({ InstanceIds: [run.Instances![0]!.InstanceId!] }));
      await t.ec2.send(new ResetImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
    });

    it('refuses unknown zones and bad instance types; the neverRunning fault keeps an instance pending and silent', async () => {
      const imageId = await baseImage(t);
      const zone = await rejection(t.ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: 'nowhere' } })));
      expect(zone.name).to.equal(profile === 'aws' ? 'InvalidZone.NotFound' : 'InvalidParameterValue');
      const type = await rejection(t.ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 'huge' as 'm1.small' })));
      expect(type.name).to.equal('InvalidParameterValue');
      t.sim.faults.set({ neverRunning: { count: 1 } });
      const run = await t.ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
      const id = run.Instances![0]!.InstanceId!;
      t.sim.advance();
      expect((await instance(t, id)).State!.Name).to.equal('pending');
      expect((await t.ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '').to.equal('');
      await t.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      await until(async () => (await instance(t, id)).State!.Name === 'terminated');
    });
  });
}
