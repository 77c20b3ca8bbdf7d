// Limits checked before the first creating call, per cloud dialect: a name Eucalyptus refuses (its alphabet has no
// space or dot) stalls an InstanceBundle before the bucket, the task or the image exist; the same name on EC2,
// whose alphabet has them, is captured as given. (ImageCapture on Eucalyptus: imagecapture/stalls.test.ts.)
import { expect } from 'chai';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { BUNDLE_FIXTURES, bundleManifest, condition, seed } from '../instancebundle/helpers.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';

const CREATING = ['BundleInstance', 'RegisterImage', 'CreateImage', 'CreateSnapshot', 'CreateTags', 'CreateBucket', 'PutObject'];
const creating = (s: Scenario) => CREATING.map((a) => s.sim.log.count(a)).join();

describe('limits per cloud dialect, checked before anything is created', function () {
  this.timeout(120_000);

  for (const profile of ['eucalyptus-3.4', 'eucalyptus-4.0'] as const) {
    it(`${profile}: an InstanceBundle whose register.name has a space and a dot stalls InvalidImageName with no creating call`, async () => {
      const s = await startScenario({ profile, fixtures: BUNDLE_FIXTURES });
      try {
        const before = creating(s);
        const m = bundleManifest(s, seed(s).id, { storage: { bucket: 'new-bucket-limits', prefix: 'limits', createBucket: true }, register: { name: 'golden image v1.0' } });
        await s.create('instancebundles', m);
        const st = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled', 'True', 30_000);
        expect(condition(st, 'Stalled')?.reason).to.equal('InvalidImageName');
        expect(condition(st, 'Stalled')?.message).to.match(/spec\.register\.name: image name "golden image v1\.0" is not accepted by a eucalyptus cloud/);
        expect(creating(s), 'no bucket, task, image or tag').to.equal(before);
        expect(s.sim.state.s3.buckets.has('new-bucket-limits')).to.equal(false);
        // Nothing was made: deletion needs no cloud call.
        await s.remove('instancebundles', m.metadata.name);
        await s.waitGone('instancebundles', m.metadata.name);
        expect(creating(s)).to.equal(before);
      } finally {
        await s.close();
      }
    });
  }

  it('aws: the EC2 alphabet (space, dot, brackets, apostrophe, @) is accepted and the image registered with that name', async () => {
    const s = await startScenario({ profile: 'aws' });
    try {
      const name = `golden image [v1.0] (team's @ ${Date.now()})`;
      const m = captureManifest(s, seedInstance(s).id, { image: { name } });
      await s.create('imagecaptures', m);
      const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 60_000);
      expect(s.sim.state.images.get((done.status as { imageId: string }).imageId)!.name).to.equal(name);
    } finally {
      await s.close();
    }
  });
});
