// The operator's HTTP connection to the API server: Node's own http/https client over one keep-alive pool per
// KubeConfig, with every TLS, proxy and credential setting of the kubeconfig as the client library reads it.
// Node's client parses HTTP in the binary's native parser, which the EC2 and S3 clients load anyway; a second
// HTTP stack in JavaScript (the client library's fetch dispatcher) weighs about 20 MB of RSS for the same bytes
// (docs/performance.md, "Memory as shipped").
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { SocksProxyAgent } from 'socks-proxy-agent';

/** A request that sees no byte for this long fails (watches are exempt: they time out on their own terms). */
export const REQUEST_IDLE_TIMEOUT_MS = 60_000;

/**
 * A pooled connection unused this long is closed by the operator. The API server closes idle connections itself
 * (kube-apiserver after 90 s, load balancers often after 60 s); a request sent on one as the server closes it fails
 * with a reset, so the client closes them well before.
 */
export const IDLE_CONNECTION_MS = 15_000;

// TCP keep-alive probes every 30 s on pooled connections, as client-go does, so a connection a load balancer has
// dropped is noticed instead of hanging the next request.
const KEEP_ALIVE = { keepAlive: true, keepAliveMsecs: 30_000, timeout: IDLE_CONNECTION_MS } as const;

/** The TLS fields of the kubeconfig (CA, client certificate and key, insecure-skip-tls-verify, tls-server-name). */
const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

const pools = new WeakMap<KubeConfig, HttpAgent>();

/**
 * The connection pool of a KubeConfig, built on first use from the settings the client library read
 * (`applyToHTTPSOptions`): an https pool, or a CONNECT tunnel (http/https proxy-url) or SOCKS proxy carrying the
 * same TLS settings. The client's own agents keep no connection alive, which would cost a TCP and TLS handshake
 * per request.
 */
function poolFor(kubeConfig: KubeConfig, server: URL, settings: RequestOptions): HttpAgent {
  let pool = pools.get(kubeConfig);
  if (pool) return pool;
  const tls: Record<string, unknown> = {};
  for (const k of TLS_FIELDS) if (settings[k] !== undefined) tls[k] = settings[k];
  const proxy = kubeConfig.getCurrentCluster()?.proxyUrl;
  const https = server.protocol === 'https:';
  if (proxy?.startsWith('socks')) pool = new SocksProxyAgent(proxy, { ...KEEP_ALIVE, ...tls });
  else if (proxy) pool = https ? new HttpsProxyAgent({ ...KEEP_ALIVE, ...tls, proxy }) : new HttpProxyAgent({ ...KEEP_ALIVE, proxy });
  else pool = https ? new HttpsAgent({ ...KEEP_ALIVE, ...tls }) : new HttpAgent(KEEP_ALIVE);
  pools.set(kubeConfig, pool);
  return pool;
}

/** The URL of an API path on the kubeconfig's current cluster, with the query parameters that have a value. */
export function apiUrl(kubeConfig: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined> = {}): URL {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

export interface KubeHttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Fail when no byte moves for this long; 0 for none (watches). */
  idleTimeoutMs?: number;
}

/**
 * Sends one request with the kubeconfig's current credentials (read per request: exec plugins and token files
 * rotate them) and resolves with the response once its headers arrived; the caller reads or drains the body.
 */
export async function sendKubeRequest(kubeConfig: KubeConfig, request: KubeHttpRequest): Promise<IncomingMessage> {
  const settings: RequestOptions = {};
  // Also refuses a plain-http server unless insecure-skip-tls-verify says so, as the client library does.
  await kubeConfig.applyToHTTPSOptions(settings);
  const agent = poolFor(kubeConfig, request.url, settings);
  const send = request.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...(settings.headers as Record<string, string> | undefined), ...request.headers };
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  const idleTimeoutMs = request.idleTimeoutMs ?? REQUEST_IDLE_TIMEOUT_MS;
  const attempt = (): Promise<IncomingMessage> => new Promise((resolve, reject) => {
    let answered = false;
    const req = send(request.url, { method: request.method, agent, headers, auth: settings.auth, signal: request.signal }, (res) => {
      answered = true;
      resolve(res);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A pooled connection the server closed as this request went out, before any answer: a read is sent again
      // (on another pooled connection or a new one); a write is not, it may have been carried out.
      const stale = !answered && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      if (stale && request.method === 'GET' && !request.signal?.aborted) {
        attempt().then(resolve, reject);
      } else {
        reject(err);
      }
    });
    if (idleTimeoutMs > 0) {
      req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`${request.method} ${request.url.pathname}: no answer for ${idleTimeoutMs / 1000} s`)));
    } else {
      // A watch is quiet for minutes: the pool's limit for unused connections must not apply to it.
      req.setTimeout(0);
    }
    req.end(request.body);
  });
  return attempt();
}

/** The whole body of a response as text. */
export async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
