// eucasim: one HTTP(S) server for the EC2 Query API (/), S3 path-style (/s3/) and the control API (/_eucasim/).
// Every EC2 and S3 request is SigV4-verified against the fixture accounts, passes the rate limit and the
// injected faults, and is recorded in the request log.
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { handleControl } from './control.ts';
import { handleEc2 } from './ec2/dispatch.ts';
import { SimError } from './errors.ts';
import { type FaultConfig, Faults } from './faults.ts';
import { type FixtureDoc, applyFixtures, loadFixtureFile } from './fixtures.ts';
import { type LatencyConfig, resolveLatency } from './latency.ts';
import type { Account } from './model.ts';
import { type ProfileName, type ProfileOverrides, resolveProfile } from './profiles.ts';
import { AccountRateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { RequestLog } from './request-log.ts';
import { handleS3, s3OperationOf } from './s3.ts';
import { authenticateEc2, authenticateS3 } from './auth.ts';
import type { AuthOutcome } from './sigv4.ts';
import { SimState } from './state.ts';
import { ec2Error, s3Error } from './xml.ts';

export interface EucasimOptions {
  host?: string;
  /** 0 (default) = a free port. */
  port?: number;
  profile: ProfileName;
  profileOverrides?: ProfileOverrides;
  /** YAML path or an already parsed document. */
  fixtures?: string | FixtureDoc;
  latency?: 'zero' | 'realistic' | Partial<LatencyConfig>;
  tls?: { cert: string; key: string };
  rateLimit?: RateLimitOptions;
  faults?: FaultConfig;
  /** Entries kept by the request log (counters stay exact). */
  logCapacity?: number;
  /** Bundle part size and synthetic bundled bytes (defaults: 10 MiB parts, 64 KiB of data). */
  bundle?: { partSize?: number; bundledBytes?: number };
}

export interface Eucasim {
  url: string;
  s3Url: string;
  port: number;
  state: SimState;
  log: RequestLog;
  faults: Faults;
  /** Completes all pending asynchronous work now. */
  advance(): number;
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024 * 1024;
const HIDDEN_PARAMS = /^(Signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|AWSAccessKeyId)$/;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new SimError('RequestEntityTooLarge', 'request body too large', 413));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function queryPairs(search: string): [string, string][] {
  return [...new URLSearchParams(search).entries()];
}

export async function startEucasim(opts: EucasimOptions): Promise<Eucasim> {
  const profile = resolveProfile(opts.profile, opts.profileOverrides);
  const faults = new Faults(opts.faults ?? {});
  const state = new SimState(profile, resolveLatency(opts.latency), faults);
  if (opts.bundle?.partSize) state.bundlePartSize = opts.bundle.partSize;
  if (opts.bundle?.bundledBytes) state.bundledBytes = opts.bundle.bundledBytes;
  const fixtures = typeof opts.fixtures === 'string' ? loadFixtureFile(opts.fixtures) : opts.fixtures;
  if (fixtures) applyFixtures(state, fixtures);
  const log = new RequestLog(opts.logCapacity);
  const limiter = opts.rateLimit ? new AccountRateLimiter(opts.rateLimit) : undefined;
  const lookup = (key: string): Account | undefined => state.accountsByKey.get(key);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://eucasim');
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const body = await readBody(req);
    const requestId = randomUUID();
    const send = (status: number, headers: Record<string, string>, payload?: Buffer | string) => {
      res.writeHead(status, { 'x-amz-request-id': requestId, 'x-amzn-requestid': requestId, ...headers });
      res.end(req.method === 'HEAD' ? undefined : payload);
    };

    if (url.pathname.startsWith('/_eucasim/')) {
      try {
        const answer = handleControl(state, log, faults, req.method ?? 'GET', url.pathname.slice('/_eucasim/'.length), url.searchParams, body);
        send(answer.status, { 'content-type': 'application/json' }, JSON.stringify(answer.body));
      } catch (err) {
        send(400, { 'content-type': 'application/json' }, JSON.stringify({ error: (err as Error).message }));
      }
      return;
    }
    state.scheduler.settle();

    const isS3 = url.pathname === '/s3' || url.pathname.startsWith('/s3/');
    const s3Path = isS3 ? rawPath.replace(/^\/s3\/?/, '') : '';
    let params: Record<string, string> = {};
    let action: string;
    if (isS3) {
      action = s3OperationOf(req.method ?? 'GET', s3Path, url.searchParams);
      params = { bucket: decodeURIComponent(s3Path.split('/')[0] ?? '') };
      const key = s3Path.includes('/') ? decodeURIComponent(s3Path.slice(s3Path.indexOf('/') + 1)) : '';
      if (key) params['key'] = key;
    } else {
      const form = req.method === 'POST' && /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')
        ? queryPairs(body.toString('utf8')) : [];
      for (const [k, v] of [...queryPairs(url.search), ...form]) params[k] = v;
      action = params['Action'] ?? 'Unknown';
    }
    const logParams = Object.fromEntries(Object.entries(params).filter(([k]) => !HIDDEN_PARAMS.test(k)));
    const record = (status: number, accountId?: string, code?: string) =>
      log.add({ time: new Date(), action, params: logParams, ...(accountId ? { accountId } : {}), status, ...(code ? { code } : {}) });
    const fail = (status: number, code: string, message: string, accountId?: string) => {
      record(status, accountId, code);
      if (isS3) send(status, { 'content-type': 'application/xml' }, s3Error(code, message, requestId));
      else send(status, { 'content-type': 'text/xml;charset=UTF-8' }, ec2Error(code, message, requestId));
    };

    if (faults.take('drop', action)) {
      record(0, undefined, 'ConnectionDropped');
      req.socket.destroy();
      return;
    }
    const slow = faults.take('delay', action);
    if (slow) await delay(slow.ms);

    const received = { method: req.method ?? 'GET', rawPath: isS3 ? rawPath : url.pathname, query: queryPairs(url.search), headers: req.headers, body };
    const auth: AuthOutcome = isS3 ? await authenticateS3(profile, received, lookup) : await authenticateEc2(profile, received, params, lookup);
    if (!auth.ok) {
      if (isS3) {
        const [status, code] = auth.reason === 'unknown-key' ? [403, 'InvalidAccessKeyId']
          : auth.reason === 'bad-signature' ? [403, 'SignatureDoesNotMatch']
            : auth.reason === 'bad-query' ? [400, 'AuthorizationQueryParametersError']
              : auth.reason === 'unsupported-scheme' && !profile.eucalyptus ? [400, 'InvalidRequest'] : [403, 'AccessDenied'];
        return fail(status, code, auth.message);
      }
      // Eucalyptus fails authentication while reading the request: NioServerHandler.sendError answers with the
      // HTTP status line as the code (F§11).
      if (profile.eucalyptus) return fail(403, '403 Forbidden', auth.reason === 'expired' ? 'Request has expired' : auth.message);
      if (auth.reason === 'expired') return fail(403, 'RequestExpired', `Request has expired`);
      const message = auth.reason === 'unknown-key' || auth.reason === 'bad-signature'
        ? 'AWS was not able to validate the provided access credentials' : auth.message;
      return fail(401, auth.reason === 'missing' ? 'MissingAuthenticationToken' : 'AuthFailure', message);
    }
    const account = auth.account;
    if (limiter && !limiter.allow(account.accountId)) {
      return isS3 ? fail(503, 'SlowDown', 'Please reduce your request rate.', account.accountId)
        : fail(503, 'RequestLimitExceeded', 'Request limit exceeded.', account.accountId);
    }
    if (faults.take('throttle', action)) {
      return isS3 ? fail(503, 'SlowDown', 'Please reduce your request rate.', account.accountId)
        : fail(503, 'RequestLimitExceeded', 'Request limit exceeded.', account.accountId);
    }
    const broken = faults.take('serverError', action);
    if (broken) {
      return broken.status === 503
        ? fail(503, isS3 ? 'ServiceUnavailable' : 'Unavailable', 'The server is overloaded and can\'t handle the request.', account.accountId)
        : fail(500, 'InternalError', 'An internal error has occurred.', account.accountId);
    }

    if (isS3) {
      const answer = handleS3(state, account, { method: req.method ?? 'GET', path: s3Path, query: url.searchParams, headers: req.headers, body }, requestId);
      record(answer.status, account.accountId, answer.code);
      send(answer.status, answer.headers, answer.body);
      return;
    }
    const answer = await handleEc2(state, account, params, requestId);
    record(answer.status, account.accountId, answer.code);
    send(answer.status, { 'content-type': 'text/xml;charset=UTF-8' }, answer.body);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      const status = err instanceof SimError ? err.status : 500;
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(ec2Error(err instanceof SimError ? err.code : 'InternalError', (err as Error).message, randomUUID()));
    });
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : createServer(listener);
  server.keepAliveTimeout = 5_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const base = `${opts.tls ? 'https' : 'http'}://${host}:${port}`;
  state.endpointHost = `${host}:${port}`;

  return {
    url: base,
    s3Url: `${base}/s3`,
    port,
    state,
    log,
    faults,
    advance: () => state.scheduler.advance(),
    close: async () => {
      state.scheduler.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
