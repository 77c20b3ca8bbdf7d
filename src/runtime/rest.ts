// Minimal REST access to any API path with the KubeConfig's credentials, TLS and proxy settings (read by the
// client library), over one keep-alive pool per KubeConfig. The informer, status and finalizer code work on
// resources by (apiVersion, plural), core or custom, which the generated typed clients do not cover uniformly,
// and every typed call of @kubernetes/client-node 2.0.1 builds a new connection pool (see poolFor); errors are
// the client's ApiException, so callers test one error shape whichever path made the call.
import type { AgentOptions, RequestOptions as HttpsRequestOptions } from 'node:https';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import {
  ApiException,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  type KubeConfig,
} from '@kubernetes/client-node';

export interface ResourceRef {
  /** `group/version`, or `v1` for the core group. */
  apiVersion: string;
  plural: string;
  namespace?: string;
  name?: string;
}

/** `/api/v1/...` or `/apis/group/version/...` for a resource (collection when `name` is absent). */
export function resourcePath(ref: ResourceRef, subresource?: string): string {
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  let path = base;
  if (ref.namespace) path += `/namespaces/${encodeURIComponent(ref.namespace)}`;
  path += `/${ref.plural}`;
  if (ref.name) path += `/${encodeURIComponent(ref.name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

/**
 * The one name every write of the operator is recorded under in metadata.managedFields (status patches,
 * finalizers, events, leases); without it the API server records the HTTP client's name.
 */
export const FIELD_MANAGER = 'eucalyptus-image-operator';

/** A shard's own field manager per KubeConfig, so managedFields show which shard wrote an object. */
const fieldManagers = new WeakMap<KubeConfig, string>();

/** Records every write made with `kubeConfig` under `name` (a shard's FIELD_MANAGER + suffix). */
export function useFieldManager(kubeConfig: KubeConfig, name: string): void {
  fieldManagers.set(kubeConfig, name);
}

export function fieldManagerOf(kubeConfig: KubeConfig): string {
  return fieldManagers.get(kubeConfig) ?? FIELD_MANAGER;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

export const CONTENT_TYPE = {
  json: 'application/json',
  mergePatch: 'application/merge-patch+json',
  jsonPatch: 'application/json-patch+json',
} as const;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

const http = new IsomorphicFetchHttpLibrary();


/** One connection pool per KubeConfig (see `authenticate`); undefined where the client's own dispatcher is kept. */
const pools = new WeakMap<KubeConfig, Promise<Dispatcher | undefined>>();

const KEEP_ALIVE = { keepAlive: true, keepAliveInitialDelay: 30_000 } as const;

/**
 * An HTTP/1.1 keep-alive pool with every TLS and proxy field of the kubeconfig the client honours
 * (certificate-authority, client certificate and key, insecure-skip-tls-verify, tls-server-name, proxy-url):
 * the client reads them (applyToHTTPSOptions) and decides the transport (createDispatcherOptions); only the pool
 * is ours. The client builds a new pool for every request (a fresh TCP and TLS handshake each time, sockets left
 * behind), and undici's HTTP/2 sessions raise an uncaught "socket idle timeout" when the API server goes away,
 * which would kill the operator. A SOCKS proxy-url keeps the client's per-request dispatcher (its connector is
 * not exported).
 */
function poolFor(kubeConfig: KubeConfig): Promise<Dispatcher | undefined> {
  let pool = pools.get(kubeConfig);
  if (!pool) {
    pool = (async () => {
      const tls: HttpsRequestOptions = {};
      await kubeConfig.applyToHTTPSOptions(tls);
      const agentOptions: AgentOptions = {};
      for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const) {
        if (tls[k] !== undefined) (agentOptions as Record<string, unknown>)[k] = tls[k];
      }
      const how = kubeConfig.createDispatcherOptions(kubeConfig.getCurrentCluster(), agentOptions);
      switch (how.type) {
        case 'proxy':
          return new ProxyAgent({ uri: how.uri, requestTls: how.requestTls, connect: { ...how.connect, ...KEEP_ALIVE }, allowH2: false });
        case 'socks':
          return undefined;
        case 'agent':
          return new Agent({ allowH2: false, connect: { ...how.connect, ...KEEP_ALIVE } });
        case 'none':
          return new Agent({ allowH2: false, connect: { rejectUnauthorized: true, ...KEEP_ALIVE } });
      }
    })();
    pools.set(kubeConfig, pool);
  }
  return pool;
}

/** Apply the KubeConfig's credentials (headers, tokens that rotate) to a request, on the shared pool. */
export async function authenticate(kubeConfig: KubeConfig, ctx: RequestContext): Promise<void> {
  await kubeConfig.applySecurityAuthentication(ctx);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster?.server.startsWith('https:') && !cluster?.proxyUrl) return;
  const pool = await poolFor(kubeConfig);
  if (pool) ctx.setDispatcher(pool);
}

export async function kubeRequest<T>(
  kubeConfig: KubeConfig,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  for (const [k, v] of Object.entries(options.query ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  const manager = fieldManagerOf(kubeConfig);
  if (WRITES.has(method) && !url.searchParams.has('fieldManager')) url.searchParams.set('fieldManager', manager);
  const ctx = new RequestContext(url.toString(), HttpMethod[method]);
  await authenticate(kubeConfig, ctx);
  ctx.setHeaderParam('Accept', 'application/json');
  ctx.setHeaderParam('User-Agent', manager);
  if (options.body !== undefined) {
    ctx.setHeaderParam('Content-Type', options.contentType ?? CONTENT_TYPE.json);
    ctx.setBody(JSON.stringify(options.body));
  }
  if (options.signal) ctx.setSignal(options.signal);
  const response = await http.send(ctx).toPromise();
  const text = await response.body.text();
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
    const message = (parsed as { message?: string } | undefined)?.message ?? `HTTP ${response.httpStatusCode}`;
    throw new ApiException(response.httpStatusCode, `${method} ${path}: ${message}`, parsed, response.headers);
  }
  return parsed as T;
}

/** HTTP status of an error from this client, the generated clients or Watch (`statusCode`), if any. */
export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const e = err as { code?: unknown; statusCode?: unknown; body?: { code?: unknown } } | null;
  if (e && typeof e.statusCode === 'number') return e.statusCode;
  if (e && typeof e.code === 'number') return e.code;
  return undefined;
}
