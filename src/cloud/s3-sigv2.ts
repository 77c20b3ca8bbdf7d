// S3 Signature Version 2 (HMAC-SHA1), the only S3 signature Walrus 3.x and the 4.0 object storage accept
// (SigV4 on S3 arrives in Eucalyptus 4.4). Plugged into @aws-sdk/client-s3 through its `signer` option, so every
// S3 command keeps the SDK's serialisation and parsing; only the Authorization header differs.
import { createHmac } from 'node:crypto';
import type { HttpRequest, RequestSigner } from '@smithy/types';

export interface SigV2Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Query parameters that are S3 sub-resources and so part of the signed resource (S3 REST authentication). */
const SUB_RESOURCES = new Set(['acl', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber',
  'policy', 'requestPayment', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
  'cors', 'tagging', 'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'response-content-language', 'response-content-type', 'response-expires']);

function headerValue(headers: Record<string, string>, name: string): string {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return '';
}

function canonicalResource(path: string, query: HttpRequest['query']): string {
  const subs = Object.keys(query ?? {}).filter((k) => SUB_RESOURCES.has(k)).sort();
  if (subs.length === 0) return path;
  return `${path}?${subs.map((k) => {
    const v = query?.[k];
    const value = Array.isArray(v) ? v[0] : v;
    return value === null || value === undefined || value === '' ? k : `${k}=${value}`;
  }).join('&')}`;
}

/** VERB, Content-MD5, Content-Type, Date (or Expires), the x-amz-* headers in name order, the resource. */
export function stringToSign(method: string, headers: Record<string, string>, dateLine: string, resource: string): string {
  const amz = Object.keys(headers)
    .map((k) => k.toLowerCase())
    .filter((k) => k.startsWith('x-amz-'))
    .sort()
    .map((k) => `${k}:${headerValue(headers, k).trim()}\n`)
    .join('');
  return `${method}\n${headerValue(headers, 'content-md5')}\n${headerValue(headers, 'content-type')}\n${dateLine}\n${amz}${resource}`;
}

export function signature(secretAccessKey: string, text: string): string {
  return createHmac('sha1', secretAccessKey).update(text, 'utf8').digest('base64');
}

/** `Authorization: AWS <key>:<signature>` over the request as it goes on the wire (path as sent, Date header). */
export class S3SigV2Signer implements RequestSigner {
  private readonly credentials: SigV2Credentials;
  private readonly now: () => Date;

  constructor(credentials: SigV2Credentials, now: () => Date = () => new Date()) {
    this.credentials = credentials;
    this.now = now;
  }

  async sign(request: HttpRequest): Promise<HttpRequest> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) {
      // A SigV4 leftover would change the string to sign; the Date header carries the time instead.
      if (!['authorization', 'x-amz-date', 'date'].includes(k.toLowerCase())) headers[k] = v;
    }
    headers['date'] = this.now().toUTCString();
    const text = stringToSign(request.method, headers, headers['date'], canonicalResource(request.path, request.query));
    headers['authorization'] = `AWS ${this.credentials.accessKeyId}:${signature(this.credentials.secretAccessKey, text)}`;
    return { ...request, headers } as HttpRequest;
  }
}
