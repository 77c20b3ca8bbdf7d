// Answers that differ by Eucalyptus version, as the operations surface them.
import { StopInstancesCommand } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import * as ec2 from '../../../src/cloud/ec2.ts';
import { CloudError } from '../../../src/cloud/errors.ts';
import { cancelRunningTask } from '../../../src/controllers/shared/bundle-task.ts';
import { outcomeOfCloudError, type StallError } from '../../../src/controllers/shared/outcomes.ts';
import { allInstances, gatewayFor, startSim } from './sim-gateway.ts';

describe('cloud operations per Eucalyptus version', function () {
  this.timeout(60_000);

  for (const profile of ['eucalyptus-3.4', 'eucalyptus-4.0'] as const) {
    it(`${profile}: uncoded answers (HTTP 406) are read by call and message: a cancel of an unknown task is "already gone", a stopped instance is IncorrectInstanceState`, async () => {
      const sim = await startSim(profile);
      const gw = gatewayFor(sim);
      try {
        const gone = await ec2.cancelBundleTask(gw, 'bun-0000ABCD').catch((e: unknown) => e);
        expect(gone).to.be.instanceOf(CloudError);
        expect([(gone as CloudError).kind, (gone as CloudError).code, (gone as CloudError).httpStatus]).to.deep.equal(['notFound', 'InvalidBundleID.NotFound', 406]);
        expect(await cancelRunningTask(gw, 'bun-0000ABCD')).to.equal(false);
        const ebs = (await allInstances(gw)).find((i) => i.RootDeviceType === 'ebs')!;
        await gw.send(new StopInstancesCommand({ InstanceIds: [ebs.InstanceId!] }));
        sim.advance();
        const refused = await ec2.bundleInstance(gw, { instanceId: ebs.InstanceId!, bucket: 'bkt', prefix: 'img', accessKeyId: 'x', uploadPolicy: '{}', signature: 'x' })
          .catch((e: unknown) => e);
        expect([(refused as CloudError).kind, (refused as CloudError).code]).to.deep.equal(['terminal', 'IncorrectInstanceState']);
        const outcome = outcomeOfCloudError(refused, 'BundleInstance');
        expect([outcome.name, (outcome as StallError).reason]).to.deep.equal(['StallError', 'InvalidInstanceState']);
        expect(outcome.message).to.contain("not currently 'running'");
      } finally {
        gw.destroy();
        await sim.close();
      }
    });
  }

  it('3.3: CreateImage answers without an image id -> undefined', async () => {
    const sim = await startSim('eucalyptus-3.3');
    const gw = gatewayFor(sim);
    try {
      const src = (await allInstances(gw)).find((i) => i.RootDeviceType === 'ebs')!;
      expect(await ec2.createImage(gw, { instanceId: src.InstanceId!, name: 'stub-image-33' })).to.equal(undefined);
    } finally {
      gw.destroy();
      await sim.close();
    }
  });

  it('3.4: TagSpecifications would be an unknown parameter, so tags follow the create', async () => {
    const sim = await startSim('eucalyptus-3.4');
    const gw = gatewayFor(sim);
    try {
      const src = (await allInstances(gw)).find((i) => i.RootDeviceType === 'ebs')!;
      const volumeId = src.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
      const err = await ec2.createSnapshot(gw, { volumeId, tags: { a: 'b' }, tagOnCreate: true }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CloudError);
      expect((err as CloudError).kind).to.equal('terminal');
      const snap = await ec2.createSnapshot(gw, { volumeId, tags: { a: 'b' }, tagOnCreate: false });
      expect((await ec2.describeSnapshots(gw, [snap.snapshotId]))[0]!.tags).to.include({ a: 'b' });
      expect(sim.log.count('CreateTags')).to.equal(1);
    } finally {
      gw.destroy();
      await sim.close();
    }
  });
});
