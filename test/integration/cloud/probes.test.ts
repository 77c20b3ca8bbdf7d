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
    it(`ImportVolume answered with ${what}: importVolume unknown, detection finishes`, async () => {
      const shim = await startAnswerShim(sim.url, { ImportVolume: answer });
      const gw = gatewayFor(sim, { ec2Endpoint: shim.url });
      try {
        const r = await detectCapabilities(gw);
        expect(shim.answered).to.deep.equal(['ImportVolume']);
        expect(r.unknown).to.deep.equal(['importVolume']);
        expect(r.failedProbes[0]!.probe).to.match(/ImportVolume/);
        expect(r.capabilities).to.include({ dialect: 'aws', importVolume: true }); // the dialect default is tried
      } finally {
        gw.destroy();
        await shim.close();
      }
    });
  }

  it('DescribeImages answered with an HTML page: no dialect signal from it, detection finishes', async () => {
    const shim = await startAnswerShim(sim.url, { DescribeImages: HTML_200, ImportVolume: HTML_500 });
    const gw = gatewayFor(sim, { ec2Endpoint: shim.url });
    try {
      const r = await detectCapabilities(gw);
      expect(r.unknown).to.have.members(['dialect', 'importVolume']);
      // The dialect comes from the other signals (this fixture's region is called eucalyptus).
      expect(r.evidence.join('\n')).to.match(/DescribeImages emi-00000000: answer without an imagesSet/);
    } finally {
      gw.destroy();
      await shim.close();
    }
  });

  it('a 5xx from the cloud on a probe leaves it unknown; a 5xx on the credentials call still fails detection', async () => {
    const gw = gatewayFor(sim);
    try {
      sim.faults.set({ serverError: { actions: ['ImportVolume'] } });
      const r = await detectCapabilities(gw);
      expect(r.unknown).to.deep.equal(['importVolume']);
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

  it('a capability set in spec.capabilities is not probed', async () => {
    const euca = await startSim('eucalyptus-3.4');
    const gw = gatewayFor(euca, { capabilities: { importVolume: true, createImage: true, bundleLinux: true, bundleEbs: false } });
    try {
      const before = euca.log.count('DescribeAvailabilityZones');
      const r = await detectCapabilities(gw);
      expect(euca.log.count('ImportVolume')).to.equal(0);
      // Only the credentials call: the unknown-parameter probe decides flags that are all set.
      expect(euca.log.count('DescribeAvailabilityZones') - before).to.equal(1);
      expect(r.capabilities).to.include({ dialect: 'eucalyptus', importVolume: true, createImage: true, bundleLinux: true, bundleEbs: false });
      expect(r.evidence.join('\n')).to.match(/not probed/);
    } finally {
      gw.destroy();
      await euca.close();
    }
  });
});
