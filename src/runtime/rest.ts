// Minimal REST access to any API path with the KubeConfig's credentials, TLS and proxy settings (read by the
// client library), over one keep-alive pool per KubeConfig (kube-transport.ts). The informer, status and
// finalizer code work on resources by (apiVersion, plural), core or custom, which the generated typed clients do
// not cover uniformly; errors are the client's ApiException, so callers test one error shape whichever path made
// the call.
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { apiUrl, readBody, sendKubeRequest } from './kube-transport.ts';

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

export async function kubeRequest<T>(
  kubeConfig: KubeConfig,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const url = apiUrl(kubeConfig, path, options.query);
  const manager = fieldManagerOf(kubeConfig);
  if (WRITES.has(method) && !url.searchParams.has('fieldManager')) url.searchParams.set('fieldManager', manager);
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': manager };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = options.contentType ?? CONTENT_TYPE.json;
    body = JSON.stringify(options.body);
  }
  const response = await sendKubeRequest(kubeConfig, { method, url, headers, body, signal: options.signal });
  const text = await readBody(response);
  const statusCode = response.statusCode ?? 0;
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (statusCode < 200 || statusCode > 299) {
    const message = (parsed as { message?: string } | undefined)?.message ?? `HTTP ${statusCode}`;
    throw new ApiException(statusCode, `${method} ${path}: ${message}`, parsed, flatHeaders(response.headers));
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

/** Response headers as ApiException carries them: one string per name. */
function flatHeaders(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  return flat;
}
