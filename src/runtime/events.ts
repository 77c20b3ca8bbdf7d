// Kubernetes Events (core/v1) about our resources. Repeats of the same (object, type, reason, message) within
// ten minutes bump `count` and `lastTimestamp` of the Event already written instead of creating another, so a
// retry loop does not flood the namespace. Recording never throws into the reconcile that called it.
import { randomBytes } from 'node:crypto';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { logger } from './logger.ts';
import { CONTENT_TYPE, kubeRequest, resourcePath, statusCodeOf } from './rest.ts';

export const REPORTING_COMPONENT = 'eucalyptus-image-operator';
export const AGGREGATION_WINDOW_MS = 10 * 60 * 1000;

export type EventType = 'Normal' | 'Warning';

/** Identity of an event for aggregation: same object (uid, else namespace/name), type, reason and message. */
export function eventKey(obj: KubernetesObject, type: EventType, reason: string, message: string): string {
  const m = obj.metadata ?? {};
  const id = m.uid ?? `${obj.apiVersion ?? ''}/${obj.kind ?? ''}/${m.namespace ?? ''}/${m.name ?? ''}`;
  return `${id}\u0000${type}\u0000${reason}\u0000${message}`;
}

export interface CachedEvent {
  name: string;
  namespace: string;
  count: number;
  /** When the event was first written: repeats after the window start a new Event. */
  firstSeen: number;
}

/** Bounded memory of recent events (least recently used dropped first). */
export class EventCache {
  readonly maxEntries: number;
  readonly windowMs: number;
  #entries = new Map<string, CachedEvent>();

  constructor(maxEntries = 4096, windowMs = AGGREGATION_WINDOW_MS) {
    this.maxEntries = maxEntries;
    this.windowMs = windowMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The event to aggregate into, if one with this key was written within the window. */
  lookup(key: string, now: number): CachedEvent | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (now - e.firstSeen >= this.windowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    // Refresh recency.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e;
  }

  store(key: string, entry: CachedEvent): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}

export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  /** This replica (pod name); shown as `reportingInstance` and `source.host`. */
  instance?: string;
  maxCachedEvents?: number;
  windowMs?: number;
  log?: Logger;
  now?: () => number;
}

interface CoreEvent {
  metadata?: { name?: string; namespace?: string };
  count?: number;
}

export class EventRecorder {
  readonly #kubeConfig: KubeConfig;
  readonly #instance: string;
  readonly #cache: EventCache;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Per-key chain so concurrent repeats aggregate instead of racing to create two Events. */
  #chains = new Map<string, Promise<void>>();

  constructor(options: EventRecorderOptions) {
    this.#kubeConfig = options.kubeConfig;
    this.#instance = options.instance ?? process.env.POD_NAME ?? 'local';
    this.#cache = new EventCache(options.maxCachedEvents, options.windowMs);
    this.#log = (options.log ?? logger()).child({ module: 'events' });
    this.#now = options.now ?? Date.now;
  }

  normal(obj: KubernetesObject, reason: string, message: string): Promise<void> {
    return this.record(obj, 'Normal', reason, message);
  }

  warning(obj: KubernetesObject, reason: string, message: string): Promise<void> {
    return this.record(obj, 'Warning', reason, message);
  }

  /** Write (or aggregate) an Event; resolves when done, never rejects. */
  record(obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    const key = eventKey(obj, type, reason, message);
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.#write(key, obj, type, reason, message))
      .catch((err: unknown) => {
        this.#log.warn({ err, reason, involved: `${obj.metadata?.namespace}/${obj.metadata?.name}` }, 'could not record event');
      })
      .finally(() => {
        if (this.#chains.get(key) === next) this.#chains.delete(key);
      });
    this.#chains.set(key, next);
    return next;
  }

  async #write(key: string, obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = obj.metadata?.namespace ?? 'default';
    const now = this.#now();
    const timestamp = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    const cached = this.#cache.lookup(key, now);
    if (cached) {
      try {
        const count = cached.count + 1;
        await kubeRequest<CoreEvent>(
          this.#kubeConfig,
          'PATCH',
          resourcePath({ apiVersion: 'v1', plural: 'events', namespace: cached.namespace, name: cached.name }),
          { body: { count, lastTimestamp: timestamp }, contentType: CONTENT_TYPE.mergePatch },
        );
        cached.count = count;
        return;
      } catch (err) {
        // The Event expired (event TTL) or was deleted: write a new one.
        if (statusCodeOf(err) !== 404) throw err;
        this.#cache.delete(key);
      }
    }
    const m = obj.metadata ?? {};
    // The events API holds 1 KB of note; the whole text goes to the log.
    if (message.length > 1024) this.#log.info({ involved: `${m.namespace}/${m.name}`, reason, message }, 'event message truncated');
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name ?? 'unknown'}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        resourceVersion: m.resourceVersion,
      },
      type,
      reason,
      message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: REPORTING_COMPONENT, host: this.#instance },
      reportingComponent: REPORTING_COMPONENT,
      reportingInstance: this.#instance,
    };
    const created = await kubeRequest<CoreEvent>(
      this.#kubeConfig,
      'POST',
      resourcePath({ apiVersion: 'v1', plural: 'events', namespace }),
      { body },
    );
    this.#cache.store(key, { name: created.metadata?.name ?? body.metadata.name, namespace, count: 1, firstSeen: now });
  }
}
