// Which signature schemes a profile accepts, per service, and the verification of each. Walrus 3.x and OSG 4.0
// know only SigV2 on S3 and refuse any other Authorization header as "Invalid authorization header"
// (WalrusAuthenticationHandler / ObjectStorageAuthenticationHandler); SigV4 on S3 arrives in 4.4. EC2 on
// Eucalyptus takes SigV2 and SigV4 (HmacUtils); the aws profile takes SigV4 only.
import type { Account } from './model.ts';
import type { Profile } from './profiles.ts';
import { isEc2SigV2, isS3SigV2, verifyEc2SigV2, verifyS3SigV2 } from './sigv2.ts';
import { type AuthOutcome, type ReceivedRequest, verifySigV4 } from './sigv4.ts';

type Lookup = (accessKeyId: string) => Account | undefined;

function authorization(req: ReceivedRequest): string | undefined {
  const v = req.headers['authorization'];
  return Array.isArray(v) ? v[0] : v;
}

export async function authenticateS3(profile: Profile, req: ReceivedRequest, lookup: Lookup): Promise<AuthOutcome> {
  if (isS3SigV2(req)) {
    if (profile.s3Signatures.includes('v2')) return verifyS3SigV2(req, lookup);
    return { ok: false, reason: 'unsupported-scheme', message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.' };
  }
  if (!profile.s3Signatures.includes('v4')) {
    if (authorization(req) !== undefined) return { ok: false, reason: 'unsupported-scheme', message: 'Invalid authorization header' };
    // A SigV4 presigned URL carries no AWSAccessKeyId: to Walrus/OSG it is an anonymous request on a private object.
    return { ok: false, reason: 'missing', message: 'Access Denied' };
  }
  return verifySigV4(req, 's3', lookup);
}

export async function authenticateEc2(
  profile: Profile, req: ReceivedRequest, params: Record<string, string>, lookup: Lookup,
): Promise<AuthOutcome> {
  if (isEc2SigV2(params)) {
    if (!profile.ec2SigV2) return { ok: false, reason: 'unsupported-scheme', message: 'Signature version 2 is not supported; use AWS4-HMAC-SHA256' };
    const host = String(req.headers['host'] ?? '');
    return verifyEc2SigV2(req.method, host, req.rawPath, params, lookup);
  }
  return verifySigV4(req, 'ec2', lookup);
}
