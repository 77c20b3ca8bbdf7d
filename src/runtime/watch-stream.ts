// One watch request as a stream of events. Our own reader (rather than the client's Watch) so the informer sees
// the HTTP status of a refused watch (410 Gone) and controls the timeouts of long-lived idle watches.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { apiUrl, readBody, sendKubeRequest } from './kube-transport.ts';
import { fieldManagerOf } from './rest.ts';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubernetesObject & { code?: number; reason?: string; message?: string };
}

export class WatchHttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

/**
 * Run one watch until the server ends it, `signal` aborts it, or no byte arrives for `idleTimeoutMs`.
 * Resolves when the stream ends cleanly (or is aborted); rejects with WatchHttpError on a non-200 answer.
 */
export async function watchOnce(
  kubeConfig: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (event: WatchEvent) => void,
  signal: AbortSignal,
  idleTimeoutMs: number,
  /** Called once the server accepted the watch (HTTP 200), before any event. */
  onOpen?: () => void,
): Promise<void> {
  const url = apiUrl(kubeConfig, path, { watch: true, ...query });
  const local = new AbortController();
  const onAbort = (): void => local.abort();
  // An already-aborted signal never fires 'abort' again: check it first.
  if (signal.aborted) return;
  signal.addEventListener('abort', onAbort, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const resetIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => local.abort(), idleTimeoutMs);
    idle.unref();
  };
  try {
    resetIdle();
    const response = await sendKubeRequest(kubeConfig, {
      method: 'GET',
      url,
      headers: { Accept: 'application/json', 'User-Agent': fieldManagerOf(kubeConfig) },
      signal: local.signal,
      idleTimeoutMs: 0,
    });
    if (response.statusCode !== 200) {
      const text = await readBody(response).catch(() => '');
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new WatchHttpError(response.statusCode ?? 0, `watch ${path}: HTTP ${response.statusCode} ${message}`);
    }
    onOpen?.();
    response.setEncoding('utf8');
    let buffer = '';
    for await (const chunk of response) {
      resetIdle();
      buffer += chunk as string;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line.length === 0) continue;
        onEvent(JSON.parse(line) as WatchEvent);
      }
    }
  } catch (err) {
    // An abort (ours or the idle timer) is a normal end of this watch; the informer decides what next.
    if (local.signal.aborted) return;
    throw err;
  } finally {
    clearTimeout(idle);
    signal.removeEventListener('abort', onAbort);
    local.abort();
  }
}
