// AWS Signature V4 verification: the signature is recomputed over the received request with the SDK's own
// signer (@smithy/signature-v4), for Authorization-header requests and for presigned (query) URLs.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Account } from './model.ts';

export interface ReceivedRequest {
  method: string;
  /** Path exactly as received (still percent-encoded). */
  rawPath: string;
  /** Decoded query parameters; repeated keys keep their order. */
  query: [string, string][];
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type AuthOutcome =
  | { ok: true; account: Account; presigned: boolean }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' | 'unsupported-scheme' | 'bad-query'; message: string;
      accessKeyId?: string };

const AUTH_RE = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})\s*$/;

function parseAmzDate(s: string | undefined): Date | undefined {
  const m = s ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function header(headers: ReceivedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export async function verifySigV4(
  req: ReceivedRequest, service: 'ec2' | 's3', lookup: (accessKeyId: string) => Account | undefined,
  now = Date.now(),
): Promise<AuthOutcome> {
  const query = new Map(req.query);
  const presigned = query.get('X-Amz-Algorithm') !== undefined;
  let credential: string, signedHeaders: string, signature: string, amzDate: string | undefined;
  if (presigned) {
    if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return { ok: false, reason: 'malformed', message: 'Unsupported X-Amz-Algorithm' };
    credential = query.get('X-Amz-Credential') ?? '';
    signedHeaders = query.get('X-Amz-SignedHeaders') ?? '';
    signature = query.get('X-Amz-Signature') ?? '';
    amzDate = query.get('X-Amz-Date');
  } else {
    const auth = header(req.headers, 'authorization');
    if (!auth) return { ok: false, reason: 'missing', message: 'Request is missing Authentication Token' };
    const m = AUTH_RE.exec(auth.trim());
    if (!m) return { ok: false, reason: 'malformed', message: 'Authorization header is not a valid AWS4-HMAC-SHA256 header' };
    [credential, signedHeaders, signature] = [m[1]!, m[2]!, m[3]!];
    amzDate = header(req.headers, 'x-amz-date');
  }
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || !signedHeaders) {
    return { ok: false, reason: 'malformed', message: `Credential should be scoped correctly: ${credential}` };
  }
  const [accessKeyId, , region, scopeService] = scope as [string, string, string, string];
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate) return { ok: false, reason: 'malformed', message: 'X-Amz-Date is missing or malformed', accessKeyId };
  const account = lookup(accessKeyId);
  if (!account) return { ok: false, reason: 'unknown-key', message: `The AWS access key id ${accessKeyId} does not exist`, accessKeyId };

  let expiresIn = 0;
  if (presigned) {
    expiresIn = Number(query.get('X-Amz-Expires') ?? '');
    if (!Number.isInteger(expiresIn) || expiresIn <= 0) return { ok: false, reason: 'bad-query', message: 'X-Amz-Expires should be a number', accessKeyId };
    // SigV4 presigned URLs live at most 7 days; AWS refuses longer ones as a client error.
    if (expiresIn > 604_800) {
      return { ok: false, reason: 'bad-query', message: 'X-Amz-Expires must be less than a week (in seconds) that is 604800', accessKeyId };
    }
    if (now > signingDate.getTime() + expiresIn * 1000) {
      return { ok: false, reason: 'expired', message: 'Request has expired', accessKeyId };
    }
  }

  const signed = new Set(signedHeaders.split(';'));
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = header(req.headers, name);
    if (v !== undefined) headers[name] = v;
  }
  // Headers the signer adds by itself count only if the client signed them too.
  const unsignable = new Set(['x-amz-content-sha256', 'x-amz-date'].filter((h) => !signed.has(h)));
  const contentSha = header(req.headers, 'x-amz-content-sha256');
  if (presigned && service === 's3') {
    headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  } else if (contentSha !== undefined) {
    // The signer trusts this header as the payload hash, so it must match the body actually received.
    if (/^[0-9a-f]{64}$/i.test(contentSha) && createHash('sha256').update(req.body).digest('hex') !== contentSha.toLowerCase()) {
      return { ok: false, reason: 'bad-signature', accessKeyId, message: 'The provided x-amz-content-sha256 header does not match the request body.' };
    }
    headers['x-amz-content-sha256'] = contentSha;
  }
  const q: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    if (presigned && k === 'X-Amz-Signature') continue;
    const prev = q[k];
    q[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const request = new HttpRequest({
    method: req.method, protocol: 'http:', hostname: header(req.headers, 'host') ?? '', path: req.rawPath,
    query: q, headers, body: req.body.length > 0 ? req.body : undefined,
  });
  const signer = new SignatureV4({
    service: scopeService, region, sha256: Sha256, uriEscapePath: service !== 's3',
    credentials: { accessKeyId, secretAccessKey: account.secretAccessKey },
  });
  const options = { signingDate, signingRegion: region, signingService: scopeService, signableHeaders: signed, unsignableHeaders: unsignable };
  let expected: string;
  if (presigned) {
    const out = await signer.presign(request, { ...options, expiresIn, unhoistableHeaders: new Set(Object.keys(headers)) });
    expected = String(out.query?.['X-Amz-Signature'] ?? '');
  } else {
    const out = await signer.sign(request, options);
    expected = /Signature=([0-9a-f]{64})/.exec(String(out.headers['authorization'] ?? ''))?.[1] ?? '';
  }
  if (!sameHex(expected, signature)) {
    return {
      ok: false, reason: 'bad-signature', accessKeyId,
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true, account, presigned };
}
