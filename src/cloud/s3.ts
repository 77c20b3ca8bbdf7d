// The S3 (Walrus) operations the bundle flows need: the bundle bucket, its objects, and presigned reads for
// ImportVolume manifests.
import {
  CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { CloudError } from './errors.ts';
import type { CloudGateway } from './gateway.ts';

export interface S3ObjectInfo {
  key: string;
  size?: number;
  lastModified?: Date;
}

export async function bucketExists(gw: CloudGateway, bucket: string): Promise<boolean> {
  try {
    await gw.send(new HeadBucketCommand({ Bucket: bucket }));
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
  try {
    await gw.send(new CreateBucketCommand({ Bucket: bucket }));
    return 'created';
  } catch (err) {
    if (err instanceof CloudError && err.code === 'BucketAlreadyOwnedByYou') return 'exists';
    throw err;
  }
}

/** Every object under the prefix (follows continuation tokens). */
export async function listObjects(gw: CloudGateway, bucket: string, prefix: string): Promise<S3ObjectInfo[]> {
  const out: S3ObjectInfo[] = [];
  let token: string | undefined;
  do {
    const page = await gw.send(new ListObjectsV2Command({
      Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}),
    }));
    for (const o of page.Contents ?? []) {
      if (!o.Key) continue;
      out.push({ key: o.Key, ...(o.Size !== undefined ? { size: o.Size } : {}), ...(o.LastModified ? { lastModified: o.LastModified } : {}) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Deletes the keys in batches of 1000 (the S3 limit); returns the number deleted. */
export async function deleteObjects(gw: CloudGateway, bucket: string, keys: string[]): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    const res = await gw.send(new DeleteObjectsCommand({
      Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
    }));
    const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new CloudError('retryable', first.Code ?? 'DeleteFailed', `DeleteObjects: ${failed.length} key(s) not deleted, first ${first.Key}: ${first.Message ?? ''}`, 'DeleteObjects');
    }
    deleted += chunk.length;
  }
  return deleted;
}

/** A presigned GET URL (SigV4 query string), e.g. the manifest URL ImportVolume fetches. Not rate limited: no call. */
export async function presignGet(gw: CloudGateway, bucket: string, key: string, expiresSeconds: number): Promise<string> {
  return getSignedUrl(gw.s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expiresSeconds });
}
