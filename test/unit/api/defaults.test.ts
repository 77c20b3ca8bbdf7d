import { expect } from 'chai';
import { applyDefaults, withCloudProfileDefaults, withImageCaptureDefaults, withInstanceBundleDefaults } from '../../../src/api/defaults.ts';
import type { Schema } from '../../../src/api/schema/openapi.ts';

describe('api/defaults', () => {
  it('fills every ImageCapture default', () => {
    const spec = withImageCaptureDefaults({ instanceId: 'i-1A2B3C4D', image: { name: 'web' } });
    expect(spec).to.deep.equal({
      instanceId: 'i-1A2B3C4D',
      image: { name: 'web' },
      noReboot: false,
      includeAttachedVolumes: true,
      strategy: 'Auto',
      deletionPolicy: 'Retain',
      timeout: '2h',
      revokeLaunchPermissionsOnDeletion: false,
    });
  });
  it('keeps values that are set, including false', () => {
    const spec = withImageCaptureDefaults({ instanceId: 'i-1A2B3C4D', image: { name: 'web' }, noReboot: true, includeAttachedVolumes: false, timeout: '30m' });
    expect(spec).to.include({ noReboot: true, includeAttachedVolumes: false, timeout: '30m' });
  });
  it('fills nested InstanceBundle defaults without changing the input', () => {
    const input = { instanceId: 'i-1A2B3C4D', storage: { bucket: 'bkt', prefix: 'pre' } };
    const spec = withInstanceBundleDefaults(input);
    expect(spec.storage).to.deep.equal({ bucket: 'bkt', prefix: 'pre', createBucket: false });
    expect(spec).to.include({ uploadPolicyTTL: '12h', deletionPolicy: 'Retain', timeout: '2h' });
    expect(input.storage).to.not.have.property('createBucket');
  });
  it('defaults the CloudProfile rate limit object and its fields', () => {
    const spec = withCloudProfileDefaults({ ec2Endpoint: 'http://127.0.0.1:1', credentialsSecretRef: { name: 's' } });
    expect(spec.region).to.equal('eucalyptus');
    expect(spec.rateLimit).to.deep.equal({ qps: 10, burst: 20 });
    expect(withCloudProfileDefaults({ ec2Endpoint: 'http://x', credentialsSecretRef: { name: 's' }, rateLimit: { qps: 2 } }).rateLimit)
      .to.deep.equal({ qps: 2, burst: 20 });
  });
  it('descends into array items and map values, and copies defaults', () => {
    const dflt = { a: 1 };
    const schema: Schema = {
      type: 'object',
      properties: {
        list: { type: 'array', maxItems: 5, items: { type: 'object', properties: { x: { type: 'integer', default: 7 } } } },
        map: { type: 'object', additionalProperties: { type: 'object', properties: { y: { type: 'string', default: 'z' } } } },
        obj: { type: 'object', default: dflt },
      },
    };
    const out = applyDefaults(schema, { list: [{}, { x: 1 }], map: { k: {} } }) as Record<string, unknown>;
    expect(out).to.deep.equal({ list: [{ x: 7 }, { x: 1 }], map: { k: { y: 'z' } }, obj: { a: 1 } });
    expect(out.obj).to.not.equal(dflt);
  });
});
