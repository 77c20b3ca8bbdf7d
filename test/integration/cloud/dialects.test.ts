// Answers that differ by Eucalyptus version, as the operations surface them.
import { expect } from 'chai';
import * as ec2 from '../../../src/cloud/ec2.ts';
import { CloudError } from '../../../src/cloud/errors.ts';
import { allInstances, gatewayFor, startSim } from './sim-gateway.ts';

describe('cloud operations per Eucalyptus version', function () {
  this.timeout(60_000);

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
