// Which S3 signature the cloud accepts. Walrus 3.x and the Eucalyptus 4.0 object storage take SigV2 only and
// refuse a SigV4 Authorization header ("Invalid authorization header"); 4.4 and AWS take SigV4. Probed with a
// read-only ListBuckets, SigV4 first; spec.s3Signature skips the probe.
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import type { Dialect } from './capabilities.ts';
import { CloudError } from './errors.ts';
import type { CloudGateway } from './gateway.ts';

export type S3Signature = 'v2' | 'v4';

function codeOf(err: unknown): string {
  return err instanceof CloudError ? `${err.code} (HTTP ${err.httpStatus ?? 'none'})` : String(err);
}

/** A failure that says nothing about the signature: the S3 endpoint is down, slow or throttling. */
function isTransient(err: unknown): boolean {
  return err instanceof CloudError && (err.kind === 'retryable' || err.kind === 'throttled');
}

export async function detectS3Signature(gw: CloudGateway, dialect: Dialect, evidence: string[]): Promise<S3Signature> {
  if (gw.settings.s3Signature) {
    evidence.push(`S3 signature ${gw.settings.s3Signature} (spec.s3Signature)`);
    return gw.settings.s3Signature;
  }
  const fallback: S3Signature = dialect === 'eucalyptus' ? 'v2' : 'v4';
  let v4Error: unknown;
  try {
    await gw.send(new ListBucketsCommand({}), { s3Signature: 'v4' });
    evidence.push('S3 ListBuckets with SigV4: accepted -> s3Signature v4');
    return 'v4';
  } catch (err) {
    if (isTransient(err)) {
      evidence.push(`S3 ListBuckets with SigV4: ${codeOf(err)} -> s3Signature ${fallback} (dialect default; S3 not reachable now)`);
      return fallback;
    }
    v4Error = err;
  }
  try {
    await gw.send(new ListBucketsCommand({}), { s3Signature: 'v2' });
    evidence.push(`S3 ListBuckets with SigV4: ${codeOf(v4Error)}; with SigV2: accepted -> s3Signature v2`);
    return 'v2';
  } catch (err) {
    // Not decisive (e.g. the key may not list buckets): the dialect's default; the flows report what S3 says.
    evidence.push(`S3 ListBuckets with SigV4: ${codeOf(v4Error)}; with SigV2: ${codeOf(err)} -> s3Signature ${fallback} (dialect default)`);
    return fallback;
  }
}
