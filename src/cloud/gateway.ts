// One gateway per cloud: the EC2 and S3 clients, the rate limit every call to that cloud shares, and the one
// place where calls are counted and errors classified. Retries are not done here (maxAttempts 1): the
// operator's work queue owns backoff, so a throttled cloud slows the whole operator instead of each call
// retrying on its own.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { EC2Client } from './ec2-sdk.ts';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { BuildMiddleware, Command, MetadataBearer } from '@smithy/types';
import type { Logger } from 'pino';
import type { Capabilities } from './capabilities.ts';
import { cloudCallsTotal, cloudUnresponsive } from '../runtime/metrics.ts';
import { EndpointPolicy } from './endpoint-policy.ts';
import { CloudError, classify } from './errors.ts';
import { TokenBucket } from './rate-limiter.ts';
import { UnknownActionAnswers } from './unknown-actions.ts';
import { loadS3Sdk } from './s3-sdk.ts';
import { S3SigV2Signer } from './s3-sigv2.ts';
import { fingerprint, type CloudSettings } from './settings.ts';

export type CallOutcome = 'success' | CloudError['kind'];

export interface GatewayOptions {
  /** Called once per cloud call besides the eio_cloud_calls_total counter: action is e.g. `DescribeSnapshots`. */
  onCall?: (action: string, outcome: CallOutcome, ms: number) => void;
  /** How long a throttling answer stops all calls to this cloud (default 1000 ms). */
  throttlePauseMs?: number;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Concurrent sockets per cloud (default 50). */
  maxSockets?: number;
  /** Which endpoint addresses may be called (default: none of loopback, link-local, metadata). */
  endpointPolicy?: EndpointPolicy;
  /** Debug lines per call: action, ids, duration, outcome (never credentials or bodies). */
  log?: Logger;
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** Ids and names a call is about, for the debug log: every `...Id(s)`, Bucket, Key, Prefix and Name of the input. */
function callSubjects(command: object): Record<string, unknown> {
  const input = (command as { input?: Record<string, unknown> }).input ?? {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (/(Id|Ids)$/.test(k) && k !== 'AWSAccessKeyId' && !/AccessKey/i.test(k)) out[k] = v;
    else if (['Bucket', 'Key', 'Prefix', 'Name', 'ImageLocation'].includes(k)) out[k] = v;
  }
  return out;
}

// Loose on purpose: any EC2 or S3 command; the output type is inferred from the command.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand<O extends MetadataBearer> = Command<any, any, any, O, any>;

/** Rewrites `Version=` in the EC2 query form body before signing, so the signature covers the new value. */
export function apiVersionMiddleware(version: string): BuildMiddleware<object, MetadataBearer> {
  return (next) => async (args) => {
    const req = args.request as { body?: unknown; headers?: Record<string, string> };
    if (typeof req.body === 'string' && /(^|&)Version=/.test(req.body)) {
      req.body = req.body.replace(/(^|&)Version=[^&]*/, `$1Version=${encodeURIComponent(version)}`);
      if (req.headers) {
        for (const h of Object.keys(req.headers)) {
          if (h.toLowerCase() === 'content-length') req.headers[h] = String(Buffer.byteLength(req.body as string));
        }
      }
    }
    return next(args);
  };
}

/** `com.amazonaws.s3` commands go to S3; everything else to EC2. Operation name from the command's schema. */
function describeCommand(command: object): { service: 'ec2' | 's3'; action: string } {
  const schema = (command as { schema?: unknown }).schema;
  if (Array.isArray(schema) && typeof schema[1] === 'string' && typeof schema[2] === 'string') {
    return { service: schema[1] === 'com.amazonaws.s3' ? 's3' : 'ec2', action: schema[2] };
  }
  return { service: 'ec2', action: command.constructor.name.replace(/Command$/, '') };
}

export class CloudGateway {
  readonly id: string;
  readonly settings: CloudSettings;
  readonly fingerprint: string;
  readonly ec2: EC2Client;
  /**
   * S3 with the SDK's SigV4 signer, and the same client with SigV2 (HMAC-SHA1) for Walrus and the 4.0 object
   * storage: each made on its first call (the S3 SDK is loaded only then, see s3-sdk.ts).
   */
  private readonly s3Clients: { v2?: Promise<S3Client>; v4?: Promise<S3Client> } = {};
  private readonly s3Options: S3ClientConfig;
  private destroyed = false;
  /** Set once the cloud refused a multi-object delete: objects are then deleted one by one. */
  multiDeleteRefused = false;
  readonly limiter: TokenBucket;
  /** Detected (and overridden) capabilities once known, written only by CloudRegistry; the EC2 operations read tagOnCreate here. */
  capabilities: Capabilities | undefined;
  /** Unusable answers to actions whose capability is unknown (the registry sets what detection left unknown). */
  readonly unknownActions = new UnknownActionAnswers();
  private readonly options: GatewayOptions;
  private readonly agents: Array<HttpAgent | HttpsAgent>;
  private readonly policy: EndpointPolicy;
  private endpointsChecked: Promise<void> | undefined;
  readonly callTimeoutMs: number;
  /** Since when every call ended without an answer (deadline or network); undefined while the cloud answers. */
  private silentSince: number | undefined;

  constructor(settings: CloudSettings, options: GatewayOptions = {}) {
    this.id = settings.id;
    this.settings = settings;
    this.fingerprint = fingerprint(settings);
    this.options = options;
    this.limiter = new TokenBucket(settings.rateLimit);
    this.capabilities = undefined;
    const maxSockets = options.maxSockets ?? 50;
    this.policy = options.endpointPolicy ?? new EndpointPolicy();
    this.callTimeoutMs = settings.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    // Every connection resolves its host through the policy, so a name that re-resolves elsewhere is refused too.
    const lookup = this.policy.lookup();
    // TLS verification stays on; a CA bundle only changes which roots are trusted.
    const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets, lookup, ...(settings.caBundle ? { ca: settings.caBundle } : {}) });
    const httpAgent = new HttpAgent({ keepAlive: true, maxSockets, lookup });
    this.agents = [httpsAgent, httpAgent];
    const common = {
      region: settings.region,
      credentials: { ...settings.credentials },
      maxAttempts: 1,
      requestHandler: {
        httpsAgent,
        httpAgent,
        connectionTimeout: Math.min(options.connectTimeoutMs ?? 5_000, this.callTimeoutMs),
        requestTimeout: options.requestTimeoutMs ?? this.callTimeoutMs,
      },
    };
    this.ec2 = new EC2Client({ ...common, endpoint: settings.ec2Endpoint });
    this.s3Options = {
      ...common,
      endpoint: settings.s3Endpoint ?? settings.ec2Endpoint,
      forcePathStyle: true,
      // Walrus and other S3 look-alikes do not know the newer flexible checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (settings.apiVersion) {
      this.ec2.middlewareStack.add(apiVersionMiddleware(settings.apiVersion), {
        step: 'build',
        priority: 'high',
        name: 'eucalyptusApiVersionOverride',
      });
    }
  }

  /** The S3 signature in use: spec.s3Signature, else the detected one, else SigV4 until detection ran. */
  get s3Signature(): 'v2' | 'v4' {
    return this.settings.s3Signature ?? this.capabilities?.s3Signature ?? 'v4';
  }

  /** The S3 client that signs with `signature`, made (and the S3 SDK loaded) on first use. */
  private s3Client(signature: 'v2' | 'v4'): Promise<S3Client> {
    return this.s3Clients[signature] ??= loadS3Sdk().then(({ S3Client }) => {
      const client = new S3Client(signature === 'v2' ? { ...this.s3Options, signer: new S3SigV2Signer(this.settings.credentials) } : this.s3Options);
      // A gateway destroyed while the SDK was loading must not leave a client behind.
      if (this.destroyed) client.destroy();
      return client;
    });
  }

  /**
   * Sends one EC2 or S3 command: waits for the rate limit, counts the call, throws a classified CloudError.
   * `s3Signature` forces the S3 signature (the detection probe).
   */
  async send<O extends MetadataBearer>(command: AnyCommand<O>, opts: { s3Signature?: 'v2' | 'v4' } = {}): Promise<O> {
    const { service, action } = describeCommand(command);
    await (this.endpointsChecked ??= this.checkEndpoints());
    await this.limiter.acquire();
    const started = performance.now();
    // The deadline aborts the request itself (socket destroyed), not merely a timer that logs.
    const deadline = AbortSignal.timeout(this.callTimeoutMs);
    try {
      const client = service === 's3' ? await this.s3Client(opts.s3Signature ?? this.s3Signature) : this.ec2;
      const out = await (client.send as (c: unknown, o: unknown) => Promise<O>).call(client, command, { abortSignal: deadline });
      this.count(command, action, 'success', started);
      this.answered();
      this.unknownActions.succeeded(action);
      return out;
    } catch (err) {
      const classified = deadline.aborted
        ? new CloudError('retryable', 'DeadlineExceeded', `${action}: no answer within ${this.callTimeoutMs} ms (the call was cut off)`, action, undefined, err)
        : classify(err, action);
      this.count(command, action, classified.kind, started, classified.code);
      if (classified.httpStatus === undefined && classified.kind === 'retryable') this.silent();
      else this.answered();
      if (classified.kind === 'throttled') this.limiter.pause(this.options.throttlePauseMs ?? 1_000);
      throw this.unknownActions.judge(action, classified);
    }
  }

  /**
   * Since when the cloud has given no answer at all, if for longer than one deadline: the operator reports
   * it (readiness detail, metric) and keeps working for the other clouds.
   */
  unresponsiveForMs(now = Date.now()): number | undefined {
    if (this.silentSince === undefined) return undefined;
    const ms = now - this.silentSince;
    return ms >= this.callTimeoutMs ? ms : undefined;
  }

  private silent(): void {
    this.silentSince ??= Date.now() - this.callTimeoutMs;
    cloudUnresponsive.set({ cloud: this.id }, 1);
  }

  private answered(): void {
    if (this.silentSince === undefined) return;
    this.silentSince = undefined;
    cloudUnresponsive.set({ cloud: this.id }, 0);
  }

  /** Both endpoints against the policy, once per gateway (a changed profile builds a new gateway). */
  private async checkEndpoints(): Promise<void> {
    try {
      await this.policy.check(this.settings.ec2Endpoint);
      if (this.settings.s3Endpoint) await this.policy.check(this.settings.s3Endpoint);
    } catch (err) {
      this.endpointsChecked = undefined;
      throw new CloudError('terminal', 'EndpointNotAllowed', (err as Error).message, 'EndpointPolicy');
    }
  }

  private count(command: object, action: string, outcome: CallOutcome, started: number, code?: string): void {
    const ms = performance.now() - started;
    cloudCallsTotal.inc({ cloud: this.id, action, outcome });
    this.options.onCall?.(action, outcome, ms);
    this.options.log?.debug({ cloud: this.id, action, ...callSubjects(command), ms: Math.round(ms), outcome, ...(code ? { code } : {}) }, 'cloud call');
  }

  /** Releases sockets and rejects calls still waiting for the rate limit. */
  destroy(): void {
    this.limiter.stop();
    this.ec2.destroy();
    this.destroyed = true;
    for (const client of Object.values(this.s3Clients)) void client.then((c) => c.destroy());
    for (const a of this.agents) a.destroy();
  }
}
