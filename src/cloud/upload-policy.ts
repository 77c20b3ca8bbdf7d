// The S3 upload policy BundleInstance hands to the cloud, and its signature. The layout follows what
// euca2ools sends; the signature is HMAC-SHA1 over the *base64 text* of the policy (not the raw JSON),
// which is what Eucalyptus and EC2 verify.
import { createHmac } from 'node:crypto';

export interface UploadPolicyInput {
  bucket: string;
  prefix: string;
  expiresAt: Date;
}

/** The policy as JSON text: the bundle may only write keys under `prefix` in `bucket`, readable by the cloud. */
export function buildUploadPolicy(input: UploadPolicyInput): string {
  return JSON.stringify({
    conditions: [
      { acl: 'ec2-bundle-read' },
      { bucket: input.bucket },
      ['starts-with', '$key', input.prefix],
    ],
    expiration: input.expiresAt.toISOString(),
  });
}

export interface SignedUploadPolicy {
  policyBase64: string;
  signature: string;
}

export function signUploadPolicy(policyJson: string, secretKey: string): SignedUploadPolicy {
  const policyBase64 = Buffer.from(policyJson, 'utf8').toString('base64');
  const signature = createHmac('sha1', secretKey).update(policyBase64, 'utf8').digest('base64');
  return { policyBase64, signature };
}
