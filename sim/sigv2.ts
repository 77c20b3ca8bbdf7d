// AWS Signature Version 2, as Eucalyptus verifies it: the S3 REST form (Walrus 3.x WalrusAuthenticationHandler, OSG
// 4.0 ObjectStorageAuthenticationHandler: `Authorization: AWS key:sig` or query `AWSAccessKeyId`/`Expires`/`Signature`,
// HMAC-SHA1) and the EC2 query form (HmacUtils SignatureV2Standard: `SignatureVersion=2`, HmacSHA256 or HmacSHA1).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Account } from './model.ts';
import type { AuthOutcome, ReceivedRequest } from './sigv4.ts';

/** Query parameters that name an S3 sub-resource and so belong to the signed resource (S3 REST authentication). */
const SUB_RESOURCES = new Set(['acl', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber',
  'policy', 'requestPayment', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
  'cors', 'tagging', 'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'response-content-language', 'response-content-type', 'response-expires']);

const S3_HEADER_RE = /^AWS ([^:\s]+):(\S+)$/;
const BAD_SIGNATURE = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

function header(headers: ReceivedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function sameBase64(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64');
  const y = Buffer.from(b, 'base64');
  return x.length > 0 && x.length === y.length && timingSafeEqual(x, y);
}

/** `/path?sub&sub=v` with the sub-resources in name order, as S3 REST authentication canonicalises the resource. */
export function canonicalResource(rawPath: string, query: [string, string][]): string {
  const subs = query.filter(([k]) => SUB_RESOURCES.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return subs.length === 0 ? rawPath : `${rawPath}?${subs.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&')}`;
}

/** The S3 SigV2 string to sign; `dateLine` is the Date header, or `Expires` for query authentication. */
export function s3StringToSign(req: ReceivedRequest, dateLine: string): string {
  const amz = Object.keys(req.headers)
    .map((k) => k.toLowerCase())
    .filter((k) => k.startsWith('x-amz-'))
    .sort()
    .map((k) => `${k}:${(header(req.headers, k) ?? '').trim()}\n`)
    .join('');
  return [req.method, header(req.headers, 'content-md5') ?? '', header(req.headers, 'content-type') ?? '', dateLine].join('\n')
    + `\n${amz}${canonicalResource(req.rawPath, req.query)}`;
}

export function isS3SigV2(req: ReceivedRequest): boolean {
  const auth = header(req.headers, 'authorization');
  if (auth !== undefined) return auth.startsWith('AWS ');
  return req.query.some(([k]) => k === 'AWSAccessKeyId') && req.query.some(([k]) => k === 'Signature');
}

export function verifyS3SigV2(req: ReceivedRequest, lookup: (key: string) => Account | undefined, now = Date.now()): AuthOutcome {
  const auth = header(req.headers, 'authorization');
  let accessKeyId: string, signature: string, dateLine: string;
  if (auth !== undefined) {
    const m = S3_HEADER_RE.exec(auth.trim());
    if (!m) return { ok: false, reason: 'malformed', message: 'Invalid authorization header' };
    [accessKeyId, signature] = [m[1]!, m[2]!];
    // With x-amz-date the Date position of the string to sign is empty (the header is among the x-amz-* ones).
    dateLine = header(req.headers, 'x-amz-date') !== undefined ? '' : (header(req.headers, 'date') ?? '');
    if (!dateLine && header(req.headers, 'x-amz-date') === undefined) {
      return { ok: false, reason: 'malformed', message: 'AWS authentication requires a valid Date or x-amz-date header', accessKeyId };
    }
  } else {
    const q = new Map(req.query);
    accessKeyId = q.get('AWSAccessKeyId') ?? '';
    signature = q.get('Signature') ?? '';
    dateLine = q.get('Expires') ?? '';
    if (!/^\d+$/.test(dateLine)) return { ok: false, reason: 'malformed', message: 'Expires must be a number of seconds since the epoch', accessKeyId };
    if (now > Number(dateLine) * 1000) return { ok: false, reason: 'expired', message: 'Request has expired', accessKeyId };
  }
  const account = lookup(accessKeyId);
  if (!account) return { ok: false, reason: 'unknown-key', message: `The AWS access key id ${accessKeyId} does not exist`, accessKeyId };
  const signedQuery = auth !== undefined ? req.query : req.query.filter(([k]) => !['AWSAccessKeyId', 'Signature', 'Expires'].includes(k));
  const expected = createHmac('sha1', account.secretAccessKey)
    .update(s3StringToSign({ ...req, query: signedQuery }, dateLine), 'utf8').digest('base64');
  if (!sameBase64(expected, signature)) return { ok: false, reason: 'bad-signature', message: BAD_SIGNATURE, accessKeyId };
  return { ok: true, account, presigned: auth === undefined };
}

/** RFC 3986 encoding as SigV2 requires (only unreserved characters stay as they are). */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function isEc2SigV2(params: Record<string, string>): boolean {
  return params['SignatureVersion'] === '2' && params['Signature'] !== undefined;
}

/** The EC2 query SigV2 string to sign: verb, lower-case host, path, and the sorted, encoded parameters but Signature. */
export function ec2StringToSign(method: string, host: string, path: string, params: Record<string, string>): string {
  const query = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${rfc3986(k)}=${rfc3986(params[k]!)}`)
    .join('&');
  return `${method}\n${host.toLowerCase()}\n${path || '/'}\n${query}`;
}

export function verifyEc2SigV2(
  method: string, host: string, path: string, params: Record<string, string>,
  lookup: (key: string) => Account | undefined, now = Date.now(),
): AuthOutcome {
  const accessKeyId = params['AWSAccessKeyId'] ?? '';
  const algorithm = params['SignatureMethod'] === 'HmacSHA1' ? 'sha1' : params['SignatureMethod'] === 'HmacSHA256' ? 'sha256' : undefined;
  if (!algorithm) return { ok: false, reason: 'malformed', message: `Unsupported SignatureMethod: ${params['SignatureMethod'] ?? ''}`, accessKeyId };
  const stamp = params['Expires'] ?? params['Timestamp'];
  const when = stamp ? Date.parse(stamp) : NaN;
  if (Number.isNaN(when)) return { ok: false, reason: 'malformed', message: 'A Timestamp or Expires parameter is required', accessKeyId };
  // Timestamp: 15 minutes either way (HmacUtils); Expires: until then.
  if (params['Expires'] !== undefined ? now > when : Math.abs(now - when) > 15 * 60_000) {
    return { ok: false, reason: 'expired', message: 'Request has expired', accessKeyId };
  }
  const account = lookup(accessKeyId);
  if (!account) return { ok: false, reason: 'unknown-key', message: `The AWS access key id ${accessKeyId} does not exist`, accessKeyId };
  const expected = createHmac(algorithm, account.secretAccessKey).update(ec2StringToSign(method, host, path, params), 'utf8').digest('base64');
  if (!sameBase64(expected, params['Signature'] ?? '')) return { ok: false, reason: 'bad-signature', message: BAD_SIGNATURE, accessKeyId };
  return { ok: true, account, presigned: false };
}
