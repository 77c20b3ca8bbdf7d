// The bundle upload policy: layout, signature against vectors computed independently (python3 hmac/base64),
// and the simulator's storage-side check accepting exactly what the operator signs.
import { expect } from 'chai';
import { buildUploadPolicy, signUploadPolicy } from '../../../src/cloud/upload-policy.ts';
import { checkUploadPolicy } from '../../../sim/upload-policy-check.ts';

const SECRET = 'demo-secret-key-please-change';
const POLICY = '{"conditions":[{"acl":"ec2-bundle-read"},{"bucket":"my-bundles"},["starts-with","$key","web-1"]],"expiration":"2026-01-02T03:04:05.000Z"}';
// python3: base64.b64encode(POLICY); base64.b64encode(hmac.new(SECRET, <that base64 text>, sha1).digest())
const POLICY_B64 = 'eyJjb25kaXRpb25zIjpbeyJhY2wiOiJlYzItYnVuZGxlLXJlYWQifSx7ImJ1Y2tldCI6Im15LWJ1bmRsZXMifSxbInN0YXJ0cy13aXRoIiwiJGtleSIsIndlYi0xIl1dLCJleHBpcmF0aW9uIjoiMjAyNi0wMS0wMlQwMzowNDowNS4wMDBaIn0=';
const SIGNATURE = '8y1lNNqc1wiSsdqEtD5yKB3cFt8=';
// The same HMAC over the raw JSON: what a wrong implementation would send.
const SIGNATURE_OVER_JSON = 'Ax7jatJM4O2ttB3Juv9b8JPUTAE=';

describe('bundle upload policy', () => {
  it('has the euca2ools layout: acl, bucket, key prefix, expiration', () => {
    const text = buildUploadPolicy({ bucket: 'my-bundles', prefix: 'web-1', expiresAt: new Date('2026-01-02T03:04:05Z') });
    expect(text).to.equal(POLICY);
  });

  it('signs the base64 text of the policy, not the JSON', () => {
    const signed = signUploadPolicy(POLICY, SECRET);
    expect(signed.policyBase64).to.equal(POLICY_B64);
    expect(signed.signature).to.equal(SIGNATURE);
    expect(signed.signature).not.to.equal(SIGNATURE_OVER_JSON);
  });

  describe('the storage-side check (eucasim)', () => {
    const base = { policyBase64: POLICY_B64, signature: SIGNATURE, secretKey: SECRET, bucket: 'my-bundles', prefix: 'web-1', now: new Date('2026-01-01T00:00:00Z') };

    it('accepts what the operator signs', () => {
      expect(checkUploadPolicy(base)).to.deep.equal({ ok: true });
    });

    it('rejects a signature made with another key', () => {
      const other = signUploadPolicy(POLICY, 'some-other-secret');
      expect(checkUploadPolicy({ ...base, signature: other.signature })).to.include({ ok: false, code: 'SignatureDoesNotMatch' });
    });

    it('rejects a signature over the raw JSON', () => {
      expect(checkUploadPolicy({ ...base, signature: SIGNATURE_OVER_JSON })).to.include({ ok: false, code: 'SignatureDoesNotMatch' });
    });

    it('rejects an expired policy', () => {
      const r = checkUploadPolicy({ ...base, now: new Date('2026-01-02T03:04:06Z') });
      expect(r).to.include({ ok: false, code: 'InvalidPolicyDocument' });
      expect((r as { message: string }).message).to.match(/expired/);
    });

    it('rejects a policy for another bucket or prefix', () => {
      expect(checkUploadPolicy({ ...base, bucket: 'elsewhere' })).to.include({ ok: false, code: 'AccessDenied' });
      expect(checkUploadPolicy({ ...base, prefix: 'db-1' })).to.include({ ok: false, code: 'AccessDenied' });
    });

    it('rejects an unknown access key', () => {
      expect(checkUploadPolicy({ ...base, secretKey: undefined })).to.include({ ok: false, code: 'InvalidAccessKeyId' });
    });
  });
});
