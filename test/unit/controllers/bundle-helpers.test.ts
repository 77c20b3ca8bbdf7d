// Pure bundle helpers: which keys belong to a bundle, capability checks, failure messages.
import { expect } from 'chai';
import { defaultCapabilities } from '../../../src/cloud/capabilities.ts';
import type { InstanceInfo } from '../../../src/cloud/ec2.ts';
import { checkBundleable } from '../../../src/controllers/shared/bundle-checks.ts';
import { isBundleKey, manifestKey } from '../../../src/controllers/shared/bundle-objects.ts';
import { bundleFailureMessage, isRunning } from '../../../src/controllers/shared/bundle-task.ts';
import { StallError, WaitError } from '../../../src/controllers/shared/outcomes.ts';

const inst = (o: Partial<InstanceInfo> = {}): InstanceInfo => ({
  instanceId: 'i-1A2B3C4D', state: 'running', rootDeviceType: 'instance-store', platform: 'linux', volumes: [], ...o,
});

function stallOf(fn: () => void): StallError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StallError) return err;
    throw err;
  }
  throw new Error('expected a StallError');
}

describe('bundle helpers', () => {
  it('bundle keys are exactly <prefix>.manifest.xml and <prefix>.part.N', () => {
    expect(manifestKey('web-1')).to.equal('web-1.manifest.xml');
    expect(isBundleKey('web-1', 'web-1.manifest.xml')).to.equal(true);
    expect(isBundleKey('web-1', 'web-1.part.0')).to.equal(true);
    expect(isBundleKey('web-1', 'web-1.part.12')).to.equal(true);
    expect(isBundleKey('web-1', 'web-12.part.0')).to.equal(false);
    expect(isBundleKey('web-1', 'web-1.part.0.bak')).to.equal(false);
    expect(isBundleKey('a.b', 'aXb.part.0')).to.equal(false);
  });

  describe('checkBundleable', () => {
    const euca34 = defaultCapabilities('eucalyptus');
    const euca33 = { ...euca34, createImage: false, bundleLinux: false, bundleEbs: false };
    const aws = defaultCapabilities('aws');

    it('lets Eucalyptus 3.4 bundle Linux, Windows and EBS instances', () => {
      expect(() => checkBundleable(inst(), euca34, 'p-1')).not.to.throw();
      expect(() => checkBundleable(inst({ platform: 'windows' }), euca34, 'p-1')).not.to.throw();
      expect(() => checkBundleable(inst({ rootDeviceType: 'ebs' }), euca34, 'p-1')).not.to.throw();
    });

    it('refuses Linux where the cloud bundles only Windows, naming the missing capability', () => {
      for (const caps of [euca33, aws]) {
        const e = stallOf(() => checkBundleable(inst(), caps, 'windows-1'));
        expect(e.reason).to.equal('UnsupportedByCloud');
        expect(e.message).to.match(/bundleLinux/);
      }
    });

    it('refuses EBS where the cloud lacks bundleEbs', () => {
      const e = stallOf(() => checkBundleable(inst({ rootDeviceType: 'ebs', platform: 'windows' }), aws, 'p-1'));
      expect(e.reason).to.equal('UnsupportedByCloud');
      expect(e.message).to.match(/bundleEbs/);
    });

    it('asks 3.3 for a windows prefix', () => {
      expect(stallOf(() => checkBundleable(inst({ platform: 'windows' }), euca33, 'img-1')).message).to.match(/windows/);
      expect(() => checkBundleable(inst({ platform: 'windows' }), euca33, 'windows-1')).not.to.throw();
    });

    it('waits for a pending instance and stalls on a stopped one', () => {
      expect(() => checkBundleable(inst({ state: 'pending' }), euca34, 'p-1')).to.throw(WaitError);
      expect(stallOf(() => checkBundleable(inst({ state: 'stopped' }), euca34, 'p-1')).reason).to.equal('InvalidInstanceState');
    });
  });

  it('running states are the cancellable ones of both dialects', () => {
    for (const s of ['pending', 'waiting-for-shutdown', 'bundling', 'storing'] as const) expect(isRunning(s)).to.equal(true);
    for (const s of ['cancelling', 'cancelled', 'complete', 'failed'] as const) expect(isRunning(s)).to.equal(false);
  });

  it('failure messages carry the cloud code and message when given', () => {
    expect(bundleFailureMessage({ bundleId: 'bun-1', instanceId: 'i-1', state: 'failed', rawState: 'failed', error: { code: 'InvalidPolicyDocument', message: 'expired' } }))
      .to.equal('bundle task bun-1 of instance i-1 failed: InvalidPolicyDocument: expired');
    expect(bundleFailureMessage({ bundleId: 'bun-1', instanceId: 'i-1', state: 'failed' })).to.match(/no error detail/);
  });

});
