import { expect } from 'chai';
import { fingerprint, type CloudSettings } from '../../../src/cloud/settings.ts';
import { applyOverrides, defaultCapabilities } from '../../../src/cloud/capabilities.ts';

const base: CloudSettings = {
  id: 'team-a/euca', ec2Endpoint: 'http://127.0.0.1:8773/', region: 'eucalyptus',
  credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, rateLimit: { qps: 10, burst: 20 },
};

describe('cloud/settings fingerprint', () => {
  it('is stable across key order and changes with any field, the secret included', () => {
    const reordered: CloudSettings = { rateLimit: { burst: 20, qps: 10 }, credentials: { secretAccessKey: 'secret', accessKeyId: 'AKID' },
      region: 'eucalyptus', ec2Endpoint: 'http://127.0.0.1:8773/', id: 'team-a/euca' };
    expect(fingerprint(reordered)).to.equal(fingerprint(base));
    expect(fingerprint({ ...base, credentials: { ...base.credentials, secretAccessKey: 'other' } })).to.not.equal(fingerprint(base));
    expect(fingerprint({ ...base, apiVersion: '2013-08-15' })).to.not.equal(fingerprint(base));
    expect(fingerprint({ ...base, caBundle: '-----BEGIN CERTIFICATE-----' })).to.not.equal(fingerprint(base));
    expect(fingerprint({ ...base, rateLimit: { qps: 5, burst: 20 } })).to.not.equal(fingerprint(base));
    expect(fingerprint({ ...base, apiVersion: undefined })).to.equal(fingerprint(base));
  });
});

describe('cloud/capabilities overrides', () => {
  it('explicit spec.capabilities win over detection', () => {
    const caps = applyOverrides(defaultCapabilities('eucalyptus'), { bundleEbs: false, createImage: undefined });
    expect(caps).to.deep.equal({ ...defaultCapabilities('eucalyptus'), bundleEbs: false });
  });
  it('defaults follow the dialect', () => {
    expect(defaultCapabilities('aws')).to.include({ tagOnCreate: true, bundleLinux: false });
    expect(defaultCapabilities('eucalyptus')).to.include({ tagOnCreate: false, bundleLinux: true });
  });
});
