// Which S3 signature the cloud accepts. Walrus 3.x and the Eucalyptus 4.0 object storage take SigV2 only and
// refuse a SigV4 Authorization header ("Invalid authorization header"); 4.4 and AWS take SigV4. Probed with a
// read-only ListBuckets, SigV4 first; spec.s3Signature skips the probe.
import type { Dialect } from './capabilities.ts';
import { CloudError } from './errors.ts';
import type { CloudGateway } from './gateway.ts';
import { loadS3Sdk } from './s3-sdk.ts';

export type S3Signature = 'v2' | 'v4';

export interface S3SignatureResult {
  signature: S3Signature;
  /** Set when the probe gave no usable answer: the signature is then the dialect's default. */
  unusable?: string;
}

function codeOf(err: unknown): string {
  return err instanceof CloudError ? `${err.code} (HTTP ${err.httpStatus ?? 'none'})` : String((err as Error)?.message ?? err);
}

/** A failure that says nothing about the signature: the S3 endpoint is down, slow or throttling. */
function isTransient(err: unknown): boolean {
  return !(err instanceof CloudError) || err.kind === 'retryable' || err.kind === 'throttled';
}

export async function detectS3Signature(gw: CloudGateway, dialect: Dialect, evidence: string[]): Promise<S3SignatureResult> {
  if (gw.settings.s3Signature) {
    evidence.push(`S3 signature ${gw.settings.s3Signature}: not probed (spec.s3Signature)`);
    return { signature: gw.settings.s3Signature };
  }
  const fallback: S3Signature = dialect === 'eucalyptus' ? 'v2' : 'v4';
  const { ListBucketsCommand } = await loadS3Sdk();
  let v4Error: unknown;
  try {
    await gw.send(new ListBucketsCommand({}), { s3Signature: 'v4' });
    evidence.push('S3 ListBuckets with SigV4: accepted -> s3Signature v4');
    return { signature: 'v4' };
  } catch (err) {
    if (isTransient(err)) {
      evidence.push(`S3 ListBuckets with SigV4: ${codeOf(err)} -> s3Signature ${fallback} (dialect default)`);
      return { signature: fallback, unusable: codeOf(err) };
    }
    v4Error = err;
  }
  try {
    await gw.send(new ListBucketsCommand({}), { s3Signature: 'v2' });
    evidence.push(`S3 ListBuckets with SigV4: ${codeOf(v4Error)}; with SigV2: accepted -> s3Signature v2`);
    return { signature: 'v2' };
  } catch (err) {
    // Not decisive (e.g. the key may not list buckets): the dialect's default; the flows report what S3 says.
    evidence.push(`S3 ListBuckets with SigV4: ${codeOf(v4Error)}; with SigV2: ${codeOf(err)} -> s3Signature ${fallback} (dialect default)`);
    return { signature: fallback, unusable: `SigV4: ${codeOf(v4Error)}; SigV2: ${codeOf(err)}` };
  }
}
