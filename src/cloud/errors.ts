// Error classes for cloud calls. Controllers decide retry vs. Stalled from `kind` alone, so every SDK, network
// and Eucalyptus dialect failure is folded into one of five kinds here.
import { interpretEucalyptusFault } from './eucalyptus-faults.ts';

export type CloudErrorKind = 'terminal' | 'retryable' | 'throttled' | 'notFound' | 'auth';

export class CloudError extends Error {
  readonly kind: CloudErrorKind;
  readonly code: string;
  readonly action: string;
  readonly httpStatus: number | undefined;

  constructor(kind: CloudErrorKind, code: string, message: string, action: string, httpStatus?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'CloudError';
    this.kind = kind;
    this.code = code;
    this.action = action;
    this.httpStatus = httpStatus;
  }
}

const THROTTLE_CODES = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'SlowDown',
  'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException']);
const AUTH_CODES = new Set(['AuthFailure', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'UnauthorizedOperation',
  'InvalidClientTokenId', 'AccessDenied', 'OptInRequired', 'Blocked', 'AuthorizationHeaderMalformed',
  'RequestExpired', 'MissingAuthenticationToken', 'IncompleteSignature']);
const RETRYABLE_CODES = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable',
  'RequestTimeout', 'RequestTimeoutException', 'TimeoutError', 'ServerError']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND',
  'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);
// S3 answers these without a `.NotFound` suffix.
const NOT_FOUND_CODES = new Set(['NoSuchBucket', 'NoSuchKey', 'NotFound', 'NoSuchUpload']);

/** A code a cloud itself answers with (not the SDK's name for a status or a body it could not read). */
export function isCloudErrorCode(code: string): boolean {
  return THROTTLE_CODES.has(code) || AUTH_CODES.has(code) || RETRYABLE_CODES.has(code) || NOT_FOUND_CODES.has(code) || code.endsWith('.NotFound');
}

interface SdkLikeError {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
  $fault?: unknown;
}

/** The error code with the Eucalyptus 3.4 quirks removed (leading space, `Client.`/`Server.` prefixes). */
export function errorCode(err: unknown): string {
  const e = (err ?? {}) as SdkLikeError;
  const raw = [e.Code, e.code, e.name].find((v) => typeof v === 'string' && v.trim() !== '' && v !== 'Error');
  const code = typeof raw === 'string' ? raw.trim() : 'Unknown';
  return code.replace(/^(Client|Server)\./, '');
}

function httpStatusOf(err: unknown): number | undefined {
  const e = (err ?? {}) as SdkLikeError;
  return e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.trim();
  const m = (err as SdkLikeError | undefined)?.message;
  return typeof m === 'string' ? m.trim() : String(err);
}

function kindOf(code: string, status: number | undefined, err: unknown): CloudErrorKind {
  if (THROTTLE_CODES.has(code) || status === 429) return 'throttled';
  if (status === 503 && /slow ?down/i.test(`${code} ${messageOf(err)}`)) return 'throttled';
  if (AUTH_CODES.has(code)) return 'auth';
  if (code.endsWith('.NotFound') || NOT_FOUND_CODES.has(code)) return 'notFound';
  if (RETRYABLE_CODES.has(code) || NETWORK_CODES.has(code)) return 'retryable';
  if (status !== undefined && status >= 500) return 'retryable';
  // No HTTP answer at all (socket closed, DNS, TLS): the request may not have reached the cloud.
  if (status === undefined && /timeout|timed out|socket hang up|network|ECONN|EPIPE/i.test(`${code} ${messageOf(err)}`)) {
    return 'retryable';
  }
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'notFound';
  return 'terminal';
}

/**
 * S3 refusing the signature scheme itself, not the key: Walrus 3.x and the 4.0 object storage answer a SigV4
 * header with AccessDenied "Invalid authorization header"; AWS answers SigV2 with InvalidRequest.
 */
function isSignatureSchemeRefusal(code: string, message: string): boolean {
  return (code === 'AccessDenied' && /invalid authorization header/i.test(message))
    || (code === 'InvalidRequest' && /authorization mechanism .*not supported/i.test(message));
}

/** Folds any error from an SDK call into a CloudError; a CloudError passes through unchanged. */
export function classify(err: unknown, action: string): CloudError {
  if (err instanceof CloudError) return err;
  const code = errorCode(err);
  if (code === 'EENDPOINTREFUSED') return new CloudError('terminal', 'EndpointNotAllowed', messageOf(err), action, undefined, err);
  const status = httpStatusOf(err);
  if (isSignatureSchemeRefusal(code, messageOf(err))) {
    return new CloudError('terminal', 'SignatureSchemeRejected', `${action}: SignatureSchemeRejected: the S3 endpoint refused the request's signature scheme (${code}: ${messageOf(err)}); `
      + 'Walrus and the Eucalyptus 4.0 object storage accept only SigV2: set the CloudProfile\'s spec.s3Signature to v2 (v4 for Eucalyptus 4.4+ and AWS)', action, status, err);
  }
  const message = messageOf(err) || code;
  const uncoded = interpretEucalyptusFault(action, code, status, message);
  if (uncoded) {
    // The message keeps what the cloud sent (`CancelBundleTaskType`, HTTP 406); the code is EC2's for the situation.
    return new CloudError(uncoded.kind, uncoded.code, `${action}: ${uncoded.code}: ${message} (Eucalyptus ${code}, HTTP ${status})`, action, status, err);
  }
  const kind = kindOf(code, status, err);
  return new CloudError(kind, code, `${action}: ${code}: ${message}`, action, status, err);
}
