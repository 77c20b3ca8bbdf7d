// The S3 (Walrus / object storage) operations the bundle flows need: the bundle bucket and its objects. Only
// what every Eucalyptus version has: ListObjects v1 (no Eucalyptus has ListObjectsV2) and single-object deletes
// where multi-object delete is missing (before 4.4.2).
import { CloudError } from './errors.ts';
import type { CloudGateway } from './gateway.ts';
import { loadS3Sdk } from './s3-sdk.ts';

export interface S3ObjectInfo {
  key: string;
  size?: number;
  lastModified?: Date;
}

/**
 * A one-key ListObjects instead of HeadBucket: a HEAD error has no body, and the body is what tells a refused
 * signature scheme ("Invalid authorization header") from refused credentials.
 */
export async function bucketExists(gw: CloudGateway, bucket: string): Promise<boolean> {
  const { ListObjectsCommand } = await loadS3Sdk();
  try {
    await gw.send(new ListObjectsCommand({ Bucket: bucket, MaxKeys: 1 }));
    return true;
  } catch (err) {
    if (err instanceof CloudError && err.kind === 'notFound') return false;
    throw err;
  }
}

/**
 * Makes sure the bucket exists. With create=false a missing bucket is a terminal error (the user asked us
 * not to create it). A bucket we already own counts as success.
 */
export async function ensureBucket(gw: CloudGateway, bucket: string, create: boolean): Promise<'exists' | 'created'> {
  if (await bucketExists(gw, bucket)) return 'exists';
  if (!create) {
    throw new CloudError('terminal', 'NoSuchBucket', `bucket ${bucket} does not exist and createBucket is false`, 'HeadBucket', 404);
  }
  const { CreateBucketCommand } = await loadS3Sdk();
  try {
    await gw.send(new CreateBucketCommand({ Bucket: bucket }));
    return 'created';
  } catch (err) {
    if (err instanceof CloudError && err.code === 'BucketAlreadyOwnedByYou') return 'exists';
    throw err;
  }
}

/** Every object under the prefix: ListObjects v1, paged by marker. */
export async function listObjects(gw: CloudGateway, bucket: string, prefix: string): Promise<S3ObjectInfo[]> {
  const { ListObjectsCommand } = await loadS3Sdk();
  const out: S3ObjectInfo[] = [];
  let marker: string | undefined;
  do {
    const page = await gw.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, ...(marker ? { Marker: marker } : {}) }));
    const keys: string[] = [];
    for (const o of page.Contents ?? []) {
      if (!o.Key) continue;
      keys.push(o.Key);
      out.push({ key: o.Key, ...(o.Size !== undefined ? { size: o.Size } : {}), ...(o.LastModified ? { lastModified: o.LastModified } : {}) });
    }
    // NextMarker comes only with a delimiter; otherwise the last key of the page is the marker.
    marker = page.IsTruncated ? (page.NextMarker ?? keys[keys.length - 1]) : undefined;
  } while (marker);
  return out;
}

/** A refusal of the multi-object delete operation itself (not of the keys or the credentials). */
function isMultiDeleteRefused(err: unknown): boolean {
  return err instanceof CloudError && err.kind !== 'auth' && err.kind !== 'throttled'
    && (['NotImplemented', 'MethodNotAllowed', 'MalformedPOSTRequest'].includes(err.code) || err.httpStatus === 501);
}

/**
 * Deletes the keys; returns the number deleted. Multi-object delete in batches of 1000 (the S3 limit) where
 * the cloud has it: not over SigV2 (Walrus, 4.0 object storage), nor after the cloud refused it once.
 */
export async function deleteObjects(gw: CloudGateway, bucket: string, keys: string[]): Promise<number> {
  const { DeleteObjectCommand } = await loadS3Sdk();
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    if (gw.s3Signature === 'v4' && !gw.multiDeleteRefused) {
      try {
        deleted += await deleteBatch(gw, bucket, chunk);
        continue;
      } catch (err) {
        if (!isMultiDeleteRefused(err)) throw err;
        gw.multiDeleteRefused = true;
      }
    }
    for (const Key of chunk) {
      await gw.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
      deleted++;
    }
  }
  return deleted;
}

async function deleteBatch(gw: CloudGateway, bucket: string, chunk: string[]): Promise<number> {
  const { DeleteObjectsCommand } = await loadS3Sdk();
  const res = await gw.send(new DeleteObjectsCommand({
    Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
  }));
  const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
  if (failed.length > 0) {
    const first = failed[0]!;
    throw new CloudError('retryable', first.Code ?? 'DeleteFailed', `DeleteObjects: ${failed.length} key(s) not deleted, first ${first.Key}: ${first.Message ?? ''}`, 'DeleteObjects');
  }
  return chunk.length;
}
