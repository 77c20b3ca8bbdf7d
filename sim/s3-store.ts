// In-memory S3: buckets and objects, shared by the S3 REST handler, bundle tasks (which write manifests and
// parts) and RegisterImage / ImportVolume (which read bundle and import manifests).
import { createHash } from 'node:crypto';

export interface S3Object {
  key: string;
  body: Buffer;
  etag: string;
  contentType: string;
  lastModified: Date;
  acl?: string;
}

export interface Bucket {
  name: string;
  ownerId: string;
  created: Date;
  objects: Map<string, S3Object>;
}

export class S3Store {
  readonly buckets = new Map<string, Bucket>();

  createBucket(name: string, ownerId: string): Bucket {
    const bucket: Bucket = { name, ownerId, created: new Date(), objects: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  put(bucket: Bucket, key: string, body: Buffer, contentType = 'binary/octet-stream', acl?: string): S3Object {
    const obj: S3Object = {
      key, body, contentType, lastModified: new Date(), etag: `"${createHash('md5').update(body).digest('hex')}"`,
      ...(acl ? { acl } : {}),
    };
    bucket.objects.set(key, obj);
    return obj;
  }

  get(bucketName: string, key: string): S3Object | undefined {
    return this.buckets.get(bucketName)?.objects.get(key);
  }

  /** Keys under a prefix in lexicographic order (S3 list order). */
  sortedKeys(bucket: Bucket, prefix = ''): string[] {
    const keys: string[] = [];
    for (const key of bucket.objects.keys()) if (key.startsWith(prefix)) keys.push(key);
    return keys.sort();
  }
}
