// Checks the S3 upload policy a BundleInstance request carries, as the storage side does when the bundle is
// stored: signature = base64(HMAC-SHA1(secret, <base64 policy text>)), not expired, scoped to the bucket and
// the prefix, acl ec2-bundle-read.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface PolicyCheckInput {
  policyBase64: string;
  signature: string;
  /** Secret of Storage.S3.AWSAccessKeyId, undefined when that key is unknown. */
  secretKey: string | undefined;
  bucket: string;
  prefix: string;
  now?: Date;
}

export type PolicyCheckResult = { ok: true } | { ok: false; code: string; message: string };

function parseExpiration(s: string): Date | undefined {
  // euca2ools writes no zone ("YYYY-MM-DDTHH:MM:SS"): it is UTC.
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function checkUploadPolicy(input: PolicyCheckInput): PolicyCheckResult {
  const bad = (code: string, message: string): PolicyCheckResult => ({ ok: false, code, message });
  if (input.secretKey === undefined) return bad('InvalidAccessKeyId', 'The upload policy access key id is not known');
  const expected = createHmac('sha1', input.secretKey).update(input.policyBase64, 'utf8').digest();
  const given = Buffer.from(input.signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return bad('SignatureDoesNotMatch', 'The upload policy signature does not match');
  }
  let policy: { expiration?: unknown; conditions?: unknown };
  try {
    policy = JSON.parse(Buffer.from(input.policyBase64, 'base64').toString('utf8')) as typeof policy;
  } catch {
    return bad('InvalidPolicyDocument', 'Custom policy is not acceptable for bundle instance: not JSON');
  }
  const expiration = typeof policy.expiration === 'string' ? parseExpiration(policy.expiration) : undefined;
  if (!expiration) return bad('InvalidPolicyDocument', 'The upload policy has no valid expiration');
  if (expiration.getTime() <= (input.now ?? new Date()).getTime()) return bad('InvalidPolicyDocument', 'The upload policy has expired');
  const conditions = Array.isArray(policy.conditions) ? policy.conditions as unknown[] : [];
  let bucketOk = false;
  let aclOk = false;
  let keyOk = false;
  for (const c of conditions) {
    if (Array.isArray(c)) {
      const [op, field, value] = c as unknown[];
      if (op === 'starts-with' && field === '$key' && typeof value === 'string' && input.prefix.startsWith(value)) keyOk = true;
      if (op === 'eq' && field === '$bucket' && value === input.bucket) bucketOk = true;
      if (op === 'eq' && field === '$acl' && value === 'ec2-bundle-read') aclOk = true;
    } else if (c && typeof c === 'object') {
      const o = c as Record<string, unknown>;
      if (o['bucket'] === input.bucket) bucketOk = true;
      if (o['acl'] === 'ec2-bundle-read') aclOk = true;
      if (typeof o['key'] === 'string' && o['key'] === input.prefix) keyOk = true;
    }
  }
  if (!bucketOk) return bad('AccessDenied', `The upload policy does not allow bucket ${input.bucket}`);
  if (!aclOk) return bad('AccessDenied', 'The upload policy does not grant acl ec2-bundle-read');
  if (!keyOk) return bad('AccessDenied', `The upload policy does not cover keys starting with ${input.prefix}`);
  return { ok: true };
}
