// Capability probes that cannot block: a probe answered with a 5xx, an HTML page, a body that is not EC2 or
// garbage leaves its capability unknown and detection finishes; only the credentials call may fail it.
// spec.capabilities overrides skip the probe they decide.
import { expect } from 'chai';
import { detectCapabilities } from '../../../src/cloud/capabilities.ts';
import { CloudError } from '../../../src/cloud/errors.ts';
import { GARBAGE_400, HTML_200, HTML_500, startAnswerShim, type ShimAnswer } from '../support/answer-shim.ts';
import { gatewayFor, startSim, type Sim } from './sim-gateway.ts';

describe('capability probes that cannot block', function () {
  this.timeout(60_000);
  let sim: Sim;
  before(async () => {
    sim = await startSim('aws');
  });
  after(async () => {
    await sim?.close();
  });

  const cases: [string, ShimAnswer][] = [['an HTML 500 page', HTML_500], ['an HTML 200 page', HTML_200], ['a garbage 400', GARBAGE_400]];
  for (const [what, answer] of cases) {
    it(`DescribeImages answered with ${what}: no dialect signal from it, detection finishes`, async () => {
      const shim = await startAnswerShim(sim.url, { DescribeImages: answer });
      const gw = gatewayFor(sim, { ec2Endpoint: shim.url });
      try {
        const r = await detectCapabilities(gw);
        expect(shim.answered).to.deep.equal(['DescribeImages']);
        expect(r.unknown).to.deep.equal(['dialect']);
        expect(r.failedProbes[0]!.probe).to.match(/DescribeImages/);
        // The dialect comes from the other signals (this fixture's region is called eucalyptus).
        expect(r.capabilities.dialect).to.be.oneOf(['aws', 'eucalyptus']);
      } finally {
        gw.destroy();
        await shim.close();
      }
    });
  }

  it('a 5xx from the cloud on a probe leaves it unknown; a 5xx on the credentials call still fails detection', async () => {
    const gw = gatewayFor(sim);
    try {
      sim.faults.set({ serverError: { actions: ['DescribeImages'] } });
      const r = await detectCapabilities(gw);
      expect(r.unknown).to.deep.equal(['dialect']);
      expect(r.failedProbes[0]!.why).to.match(/InternalError \(HTTP 500\)/);
      sim.faults.set({ serverError: { actions: ['DescribeAvailabilityZones'], count: 1 } });
      const err = await detectCapabilities(gw).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(CloudError);
      expect((err as CloudError).kind).to.equal('retryable');
    } finally {
      sim.faults.clear();
      gw.destroy();
    }
  });

  it('a 5xx on the S3 signature probe leaves s3Signature unknown with the dialect default', async () => {
    const gw = gatewayFor(sim);
    try {
      sim.faults.set({ serverError: { actions: ['ListBuckets'] } });
      const r = await detectCapabilities(gw);
      expect(r.unknown).to.deep.equal(['s3Signature']);
      expect(r.failedProbes[0]).to.include({ probe: 'S3 ListBuckets', capability: 's3Signature' });
      expect(r.capabilities.s3Signature).to.equal(r.capabilities.dialect === 'aws' ? 'v4' : 'v2');
    } finally {
      sim.faults.clear();
      gw.destroy();
    }
  });

  it('a capability set in spec.capabilities is not probed', async () => {
    const euca = await startSim('eucalyptus-3.4');
    const gw = gatewayFor(euca, { capabilities: { createImage: true, bundleLinux: true, bundleEbs: false }, s3Signature: 'v2' });
    try {
      const before = euca.log.count('DescribeAvailabilityZones');
      const r = await detectCapabilities(gw);
      expect(euca.log.count('ListBuckets')).to.equal(0);
      // Only the credentials call: the unknown-parameter probe decides flags that are all set.
      expect(euca.log.count('DescribeAvailabilityZones') - before).to.equal(1);
      expect(r.capabilities).to.include({ dialect: 'eucalyptus', createImage: true, bundleLinux: true, bundleEbs: false, s3Signature: 'v2' });
      expect(r.evidence.join('\n')).to.match(/not probed/);
    } finally {
      gw.destroy();
      await euca.close();
    }
  });
});
