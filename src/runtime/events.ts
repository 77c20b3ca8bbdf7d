// Kubernetes Events (core/v1) about our resources. Repeats of the same (object, type, reason, message) within
// ten minutes are a series on the Event already written, as client-go's events recorder keeps them: the second
// occurrence sets `count: 2`, later ones are counted in memory and written (`count`, `lastTimestamp`) when the
// series ends (SERIES_FINISH_MS without a repeat) or every SERIES_REFRESH_MS while it goes on. So a retry loop
// costs a few writes, not one per repeat. Recording never throws into the reconcile that called it.
import { randomBytes } from 'node:crypto';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { logger } from './logger.ts';
import { CONTENT_TYPE, kubeRequest, resourcePath, statusCodeOf } from './rest.ts';

export const REPORTING_COMPONENT = 'eucalyptus-image-operator';
export const AGGREGATION_WINDOW_MS = 10 * 60 * 1000;
/** A series with no repeat for this long is finished: its count is written (client-go: finishTime). */
export const SERIES_FINISH_MS = 6 * 60 * 1000;
/** A series still going on has its count written this often (client-go: refreshTime). */
export const SERIES_REFRESH_MS = 30 * 60 * 1000;
/** How often unwritten series counts are looked at. */
const SERIES_TICK_MS = 60 * 1000;

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
  /** The count the API server has. */
  written?: number;
  lastSeen?: number;
  lastWritten?: number;
}

/** Whether repeats of a series were counted that the API server does not have yet. */
function countUnwritten(e: CachedEvent): boolean {
  return e.count > (e.written ?? e.count);
}

/** Whether a series' count still has to be written now (it ended, or has gone on unwritten for long). */
export function seriesDue(e: CachedEvent, now: number): boolean {
  if (!countUnwritten(e)) return false;
  return now - (e.lastSeen ?? e.firstSeen) >= SERIES_FINISH_MS || now - (e.lastWritten ?? e.firstSeen) >= SERIES_REFRESH_MS;
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
      this.#onDrop?.(e);
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
      const dropped = this.#entries.get(oldest)!;
      this.#entries.delete(oldest);
      this.#onDrop?.(dropped);
    }
  }

  /** Called with an entry that leaves the cache (window over, or least recently used): its count may be unwritten. */
  onDrop(fn: (e: CachedEvent) => void): void {
    this.#onDrop = fn;
  }

  #onDrop: ((e: CachedEvent) => void) | undefined;

  entries(): IterableIterator<CachedEvent> {
    return this.#entries.values();
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
  #timer: NodeJS.Timeout | undefined;

  constructor(options: EventRecorderOptions) {
    this.#kubeConfig = options.kubeConfig;
    this.#instance = options.instance ?? process.env.POD_NAME ?? 'local';
    this.#cache = new EventCache(options.maxCachedEvents, options.windowMs);
    this.#cache.onDrop((e) => {
      if (countUnwritten(e)) void this.#writeCountOrWarn(e);
    });
    this.#log = (options.log ?? logger()).child({ module: 'events' });
    this.#now = options.now ?? Date.now;
  }

  /** Writes the counts of series that ended or have gone on unwritten for long; started with the manager. */
  start(): void {
    this.#timer ??= setInterval(() => void this.flush(false), SERIES_TICK_MS).unref();
  }

  /** Writes unwritten series counts: those due (`all` false), or every one (at shutdown, and in tests). */
  async flush(all = true): Promise<void> {
    const now = this.#now();
    const due = [...this.#cache.entries()].filter((e) => countUnwritten(e) && (all || seriesDue(e, now)));
    await Promise.all(due.map((e) => this.#writeCountOrWarn(e)));
  }

  /** Stops the timer and writes every unwritten count. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush(true);
  }

  /** A count that cannot be written is logged: recording never fails the caller. */
  #writeCountOrWarn(e: CachedEvent): Promise<void> {
    return this.#writeCount(e).catch((err: unknown) => this.#log.warn({ err, event: e.name }, 'could not write an event count'));
  }

  async #writeCount(e: CachedEvent): Promise<void> {
    const count = e.count;
    const lastTimestamp = new Date(e.lastSeen ?? this.#now()).toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      await kubeRequest<CoreEvent>(
        this.#kubeConfig,
        'PATCH',
        resourcePath({ apiVersion: 'v1', plural: 'events', namespace: e.namespace, name: e.name }),
        { body: { count, lastTimestamp }, contentType: CONTENT_TYPE.mergePatch },
      );
    } catch (err) {
      // The Event expired (event TTL) or was deleted: its series is over.
      if (statusCodeOf(err) !== 404) throw err;
    }
    e.written = Math.max(e.written ?? 0, count);
    e.lastWritten = this.#now();
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
      cached.lastSeen = now;
      // From the third occurrence on, counted here and written when the series ends or by the refresh.
      if (cached.count >= 2) {
        cached.count++;
        return;
      }
      try {
        const count = cached.count + 1;
        await kubeRequest<CoreEvent>(
          this.#kubeConfig,
          'PATCH',
          resourcePath({ apiVersion: 'v1', plural: 'events', namespace: cached.namespace, name: cached.name }),
          { body: { count, lastTimestamp: timestamp }, contentType: CONTENT_TYPE.mergePatch },
        );
        cached.count = count;
        cached.written = count;
        cached.lastWritten = now;
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
    this.#cache.store(key, { name: created.metadata?.name ?? body.metadata.name, namespace, count: 1, firstSeen: now, written: 1, lastSeen: now, lastWritten: now });
  }
}
