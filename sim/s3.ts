// The S3 REST subset, path-style under /s3/: buckets (create, head, delete, list), objects (put, get, head,
// delete, multi-delete where the profile has it), ListObjects v1 with marker paging and, on aws only,
// ListObjectsV2 with continuation. Only the bucket owner has access.
import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { Account } from './model.ts';
import type { SimState } from './state.ts';
import { s3Error, toXml, type XmlObject } from './xml.ts';

export interface S3Request {
  method: string;
  /** Path after /s3/, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface S3Answer {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** Operation name for the request log. */
  operation: string;
  code?: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9]$/i;
const xmlHeaders = { 'content-type': 'application/xml' };
const parser = new XMLParser({ isArray: (name) => name === 'Object' });

function header(h: S3Request['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Strips aws-chunked framing (`hex[;chunk-signature=…]\r\n data \r\n … 0\r\n trailers`). */
export function decodeAwsChunked(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(pos, eol).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** The S3 operation a request asks for, from its method, path and query (for logs and fault scoping). */
export function s3OperationOf(method: string, path: string, query: URLSearchParams): string {
  const slash = path.indexOf('/');
  const bucket = slash < 0 ? path : path.slice(0, slash);
  const key = slash < 0 ? '' : path.slice(slash + 1);
  if (!bucket) return 'ListBuckets';
  if (!key) {
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
  }
  return ({ GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject', DELETE: 'DeleteObject' } as Record<string, string>)[method] ?? 'S3';
}

export function handleS3(state: SimState, account: Account, req: S3Request, requestId: string): S3Answer {
  const slash = req.path.indexOf('/');
  const bucketName = decodeURIComponent(slash < 0 ? req.path : req.path.slice(0, slash));
  const key = slash < 0 ? '' : decodeURIComponent(req.path.slice(slash + 1));
  const err = (status: number, code: string, message: string, operation: string): S3Answer => ({
    status, code, operation, headers: xmlHeaders,
    ...(req.method === 'HEAD' ? {} : { body: s3Error(code, message, requestId, `/${bucketName}${key ? `/${key}` : ''}`) }),
  });
  const ok = (operation: string, body?: XmlObject, root?: string, status = 200): S3Answer => ({
    status, operation, headers: body ? xmlHeaders : {},
    ...(body && root ? { body: toXml(root, body, { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' }) } : {}),
  });

  if (!bucketName) {
    if (req.method !== 'GET') return err(405, 'MethodNotAllowed', 'The specified method is not allowed', 'S3');
    const mine = [...state.s3.buckets.values()].filter((b) => b.ownerId === account.accountId);
    return ok('ListBuckets', {
      Owner: { ID: account.accountId, DisplayName: account.name },
      Buckets: mine.length ? { Bucket: mine.map((b) => ({ Name: b.name, CreationDate: b.created })) } : '',
    }, 'ListAllMyBucketsResult');
  }

  const bucket = state.s3.buckets.get(bucketName);
  if (!key && req.method === 'PUT') {
    if (!BUCKET_RE.test(bucketName)) return err(400, 'InvalidBucketName', 'The specified bucket is not valid.', 'CreateBucket');
    if (bucket) {
      return bucket.ownerId === account.accountId
        ? err(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 'CreateBucket')
        : err(409, 'BucketAlreadyExists', 'The requested bucket name is not available.', 'CreateBucket');
    }
    state.s3.createBucket(bucketName, account.accountId);
    return { status: 200, operation: 'CreateBucket', headers: { location: `/${bucketName}` } };
  }
  const operation = s3OperationOf(req.method, req.path, req.query);
  if (!bucket) return err(404, 'NoSuchBucket', 'The specified bucket does not exist', operation);
  if (bucket.ownerId !== account.accountId) return err(403, 'AccessDenied', 'Access Denied', operation);

  // Operations the profile's object storage lacks (no Eucalyptus has ListObjectsV2; multi-delete is 4.4.2+).
  if ((operation === 'ListObjectsV2' && !state.profile.s3ListV2) || (operation === 'DeleteObjects' && !state.profile.s3MultiDelete)) {
    return err(501, 'NotImplemented', `${operation} is not implemented by this object storage (${state.profile.name})`, operation);
  }

  switch (operation) {
    case 'HeadBucket':
      return ok(operation);
    case 'DeleteBucket':
      if (bucket.objects.size > 0) return err(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', operation);
      state.s3.buckets.delete(bucket.name);
      return ok(operation, undefined, undefined, 204);
    case 'DeleteObjects': {
      const doc = parser.parse(req.body.toString('utf8')) as { Delete?: { Object?: { Key?: unknown }[]; Quiet?: unknown } };
      const keys = (doc.Delete?.Object ?? []).map((o) => String(o.Key ?? ''));
      for (const k of keys) bucket.objects.delete(k);
      const quiet = String(doc.Delete?.Quiet ?? 'false') === 'true';
      return ok(operation, { Deleted: quiet || keys.length === 0 ? undefined : keys.map((k) => ({ Key: k })) }, 'DeleteResult');
    }
    case 'ListObjectsV2':
    case 'ListObjects': {
      const prefix = req.query.get('prefix') ?? '';
      const max = Math.min(1000, Number(req.query.get('max-keys') ?? '1000') || 1000);
      const after = operation === 'ListObjectsV2'
        ? (req.query.get('continuation-token') ?? req.query.get('start-after') ?? '')
        : (req.query.get('marker') ?? '');
      const keys = state.s3.sortedKeys(bucket, prefix).filter((k) => k > after);
      const page = keys.slice(0, max);
      const truncated = keys.length > max;
      const contents = page.map((k) => {
        const o = bucket.objects.get(k)!;
        return { Key: k, LastModified: o.lastModified, ETag: o.etag, Size: o.body.length, StorageClass: 'STANDARD' };
      });
      const common = { Name: bucket.name, Prefix: prefix, MaxKeys: max, IsTruncated: truncated, Contents: contents.length ? contents : undefined };
      return ok(operation, operation === 'ListObjectsV2'
        ? { ...common, KeyCount: page.length, ContinuationToken: req.query.get('continuation-token') ?? undefined,
          NextContinuationToken: truncated ? page[page.length - 1] : undefined }
        : { ...common, Marker: after, NextMarker: truncated ? page[page.length - 1] : undefined }, 'ListBucketResult');
    }
    case 'PutObject': {
      const encoding = header(req.headers, 'content-encoding') ?? '';
      const sha = header(req.headers, 'x-amz-content-sha256') ?? '';
      const body = encoding.includes('aws-chunked') || sha.startsWith('STREAMING-') ? decodeAwsChunked(req.body) : req.body;
      if (/^[0-9a-f]{64}$/.test(sha) && createHash('sha256').update(body).digest('hex') !== sha) {
        return err(400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.', operation);
      }
      const obj = state.s3.put(bucket, key, body, header(req.headers, 'content-type') ?? 'binary/octet-stream', header(req.headers, 'x-amz-acl'));
      return { status: 200, operation, headers: { etag: obj.etag } };
    }
    case 'GetObject':
    case 'HeadObject': {
      const obj = bucket.objects.get(key);
      if (!obj) return err(404, 'NoSuchKey', 'The specified key does not exist.', operation);
      const headers = {
        'content-type': obj.contentType, etag: obj.etag, 'last-modified': obj.lastModified.toUTCString(),
        'content-length': String(obj.body.length),
      };
      return { status: 200, operation, headers, ...(operation === 'GetObject' ? { body: obj.body } : {}) };
    }
    case 'DeleteObject':
      bucket.objects.delete(key);
      return ok(operation, undefined, undefined, 204);
    default:
      return err(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', operation);
  }
}
