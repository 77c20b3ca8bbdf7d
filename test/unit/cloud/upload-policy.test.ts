import { expect } from 'chai';
import { buildUploadPolicy, signUploadPolicy } from '../../../src/cloud/upload-policy.ts';

// Expected values were computed outside this code base with python3:
//   b = base64.b64encode(policy_json.encode()).decode()
//   base64.b64encode(hmac.new(secret.encode(), b.encode(), hashlib.sha1).digest()).decode()
// and the first signature cross-checked with:
//   echo -n "$b" | openssl dgst -sha1 -hmac demo-secret-key-please-change -binary | base64
const VECTORS = [
  {
    bucket: 'my-bundles', prefix: 'web-01', expiresAt: '2026-11-26T08:00:00.000Z',
    secret: 'demo-secret-key-please-change',
    json: '{"conditions":[{"acl":"ec2-bundle-read"},{"bucket":"my-bundles"},["starts-with","$key","web-01"]],"expiration":"2026-11-26T08:00:00.000Z"}',
    base64: 'eyJjb25kaXRpb25zIjpbeyJhY2wiOiJlYzItYnVuZGxlLXJlYWQifSx7ImJ1Y2tldCI6Im15LWJ1bmRsZXMifSxbInN0YXJ0cy13aXRoIiwiJGtleSIsIndlYi0wMSJdXSwiZXhwaXJhdGlvbiI6IjIwMjYtMTEtMjZUMDg6MDA6MDAuMDAwWiJ9',
    signature: '0R0GbguUBd1859rjysDwKn/pSX0=',
  },
  {
    bucket: 'b.k-1_x', prefix: 'windows/srv', expiresAt: '2030-01-02T03:04:05.678Z',
    secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    json: '{"conditions":[{"acl":"ec2-bundle-read"},{"bucket":"b.k-1_x"},["starts-with","$key","windows/srv"]],"expiration":"2030-01-02T03:04:05.678Z"}',
    base64: 'eyJjb25kaXRpb25zIjpbeyJhY2wiOiJlYzItYnVuZGxlLXJlYWQifSx7ImJ1Y2tldCI6ImIuay0xX3gifSxbInN0YXJ0cy13aXRoIiwiJGtleSIsIndpbmRvd3Mvc3J2Il1dLCJleHBpcmF0aW9uIjoiMjAzMC0wMS0wMlQwMzowNDowNS42NzhaIn0=',
    signature: 'gahlgFCb+DRAUZpADNQOODOJki4=',
  },
];

describe('cloud/upload-policy', () => {
  for (const v of VECTORS) {
    it(`builds and signs the policy for bucket ${v.bucket}`, () => {
      const json = buildUploadPolicy({ bucket: v.bucket, prefix: v.prefix, expiresAt: new Date(v.expiresAt) });
      expect(json).to.equal(v.json);
      const signed = signUploadPolicy(json, v.secret);
      expect(signed.policyBase64).to.equal(v.base64);
      expect(signed.signature).to.equal(v.signature);
    });
  }

  it('contains what Eucalyptus checks: braces, the bucket and ec2-bundle-read', () => {
    const json = buildUploadPolicy({ bucket: 'bkt', prefix: 'p', expiresAt: new Date(0) });
    const parsed = JSON.parse(json) as { conditions: unknown[]; expiration: string };
    expect(parsed.conditions).to.deep.include({ bucket: 'bkt' });
    expect(parsed.conditions).to.deep.include({ acl: 'ec2-bundle-read' });
    expect(parsed.conditions).to.deep.include(['starts-with', '$key', 'p']);
    expect(parsed.expiration).to.equal('1970-01-01T00:00:00.000Z');
  });
});
