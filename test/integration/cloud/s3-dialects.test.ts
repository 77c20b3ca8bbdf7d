// The operator's S3 layer against each object-storage dialect over real HTTP: the signature it detects (or is
// told), ListObjects v1 paging, one-by-one deletes where multi-delete is missing, and a refused signature
// scheme reported as such instead of as bad credentials.
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { detectS3Signature } from '../../../src/cloud/s3-signature.ts';
import { CloudError } from '../../../src/cloud/errors.ts';
import { deleteObjects, ensureBucket, listObjects } from '../../../src/cloud/s3.ts';
import { outcomeOfCloudError, StallError } from '../../../src/controllers/shared/outcomes.ts';
import { gatewayFor, startSim, type Sim, type SimProfile } from './sim-gateway.ts';

const CASES: { profile: SimProfile; signature: 'v2' | 'v4'; multiDelete: boolean }[] = [
  { profile: 'eucalyptus-3.4', signature: 'v2', multiDelete: false },
  { profile: 'eucalyptus-4.0', signature: 'v2', multiDelete: false },
  { profile: 'eucalyptus-4.4', signature: 'v4', multiDelete: true },
  { profile: 'aws', signature: 'v4', multiDelete: true },
];

function seedObjects(sim: Sim, bucket: string, keys: string[]): void {
  const b = sim.state.s3.buckets.get(bucket) ?? sim.state.s3.createBucket(bucket, '000000000001');
  for (const k of keys) sim.state.s3.put(b, k, Buffer.from(k), 'text/plain');
}

describe('operator S3 per dialect', function () {
  this.timeout(60_000);
  for (const c of CASES) {
    it(`${c.profile}: detects SigV${c.signature.slice(1)}, lists v1 by marker, deletes ${c.multiDelete ? 'in one batch' : 'one by one'}`, async () => {
      const sim = await startSim(c.profile);
      const gw = gatewayFor(sim);
      try {
        const evidence: string[] = [];
        const { signature } = await detectS3Signature(gw, c.profile === 'aws' ? 'aws' : 'eucalyptus', evidence);
        expect(signature, evidence.join('\n')).to.equal(c.signature);
        gw.capabilities = { dialect: 'eucalyptus', createImage: true, tagOnCreate: false, bundleLinux: true, bundleEbs: true, s3Signature: signature };
        expect(await ensureBucket(gw, 'ops', true)).to.equal('created');
        expect(await ensureBucket(gw, 'ops', false)).to.equal('exists');
        const keys = Array.from({ length: 1205 }, (_, i) => `img.part.${String(i).padStart(4, '0')}`);
        seedObjects(sim, 'ops', keys);
        sim.log.clear();
        const listed = await listObjects(gw, 'ops', 'img.');
        expect(listed.map((o) => o.key)).to.deep.equal(keys);
        expect(sim.log.count('ListObjects')).to.equal(2);
        expect(sim.log.count('ListObjectsV2')).to.equal(0);

        expect(await deleteObjects(gw, 'ops', keys.slice(0, 5))).to.equal(5);
        expect(sim.log.count('DeleteObjects')).to.equal(c.multiDelete ? 1 : 0);
        expect(sim.log.count('DeleteObject')).to.equal(c.multiDelete ? 0 : 5);
        expect((await listObjects(gw, 'ops', 'img.')).length).to.equal(1200);
      } finally {
        gw.destroy();
        await sim.close();
      }
    });
  }

  it('spec.s3Signature skips the probe', async () => {
    const sim = await startSim('eucalyptus-4.0');
    const gw = gatewayFor(sim, { s3Signature: 'v2' });
    try {
      const evidence: string[] = [];
      expect((await detectS3Signature(gw, 'eucalyptus', evidence)).signature).to.equal('v2');
      expect(sim.log.count('ListBuckets')).to.equal(0);
      expect(evidence.join()).to.contain('spec.s3Signature');
      expect(gw.s3Signature).to.equal('v2');
    } finally {
      gw.destroy();
      await sim.close();
    }
  });

  it('SigV4 forced on a SigV2-only cloud stalls as S3SignatureRejected, not CredentialsRejected', async () => {
    const sim = await startSim('eucalyptus-4.0');
    const gw = gatewayFor(sim, { s3Signature: 'v4' });
    try {
      let caught: unknown;
      try {
        await ensureBucket(gw, 'bundles', true);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(CloudError);
      expect((caught as CloudError).code).to.equal('SignatureSchemeRejected');
      expect((caught as CloudError).kind).to.equal('terminal');
      const outcome = outcomeOfCloudError(caught, 'checking the bundle bucket');
      expect(outcome).to.be.instanceOf(StallError);
      expect((outcome as StallError).reason).to.equal('S3SignatureRejected');
      expect(outcome.message).to.contain('spec.s3Signature');
      // The same credentials signed with SigV2 are fine.
      await gw.send(new ListBucketsCommand({}), { s3Signature: 'v2' });
    } finally {
      gw.destroy();
      await sim.close();
    }
  });

  it('falls back to one-by-one deletes when a SigV4 cloud refuses the multi-object delete', async () => {
    const sim = await startSim('eucalyptus-4.4');
    sim.state.profile.s3MultiDelete = false;
    const gw = gatewayFor(sim, { s3Signature: 'v4' });
    try {
      seedObjects(sim, 'ops', ['a', 'b', 'c']);
      expect(await deleteObjects(gw, 'ops', ['a', 'b'])).to.equal(2);
      expect(await deleteObjects(gw, 'ops', ['c'])).to.equal(1);
      expect(sim.log.count('DeleteObjects')).to.equal(1);
      expect(sim.log.count('DeleteObject')).to.equal(3);
      expect(sim.state.s3.buckets.get('ops')!.objects.size).to.equal(0);
    } finally {
      gw.destroy();
      await sim.close();
    }
  });
});
