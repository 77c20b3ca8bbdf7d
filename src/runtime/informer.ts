// Shared cache of one resource kind: a paged list, then a watch from the list's resourceVersion (with bookmarks),
// resumed from the last seen resourceVersion when it ends, and a relist when the server says that version is
// gone (410), emitting the differences so handlers always see a cache consistent with the server.
// Ours, not @kubernetes/client-node's ListWatch (2.0.1, src/cache.ts), because that one has gaps a controller
// cannot live with: an update handler gets only the new object (no old one to compare generations), a watch
// that ends with any error other than 410 or a client timeout stops for good until the caller restarts it
// (kubernetes-client/javascript#795, #447), bookmarks are ignored so a quiet watch resumes from an old version,
// and the list is one unpaged call (#586).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.ts';
import { stripUnreadFields, type CacheTransform } from './cache-transform.ts';
import { logger } from './logger.ts';
import { informerRelists } from './metrics.ts';
import { kubeRequest, resourcePath, statusCodeOf } from './rest.ts';
import { watchOnce, type WatchEvent } from './watch-stream.ts';

export interface InformerOptions {
  kubeConfig: KubeConfig;
  /** `group/version`, or `v1` for core kinds. */
  apiVersion: string;
  plural: string;
  /** Set on cached objects (list items come without it); derived from the list's kind when absent. */
  kind?: string;
  /** Watch one namespace; absent = all namespaces. */
  namespace?: string;
  labelSelector?: string;
  /** Page size of the list calls. */
  pageSize?: number;
  /**
   * Applied to every object as it is decoded, before it is cached or handed to handlers (default
   * stripUnreadFields: no managedFields, no kubectl last-applied copy).
   */
  transform?: CacheTransform;
  /** Server-side watch timeout (s); each watch picks a random value in [t, 2t) so replicas do not align. */
  watchTimeoutSeconds?: number;
  log?: Logger;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

interface Handlers<T> {
  add: AddHandler<T>[];
  update: UpdateHandler<T>[];
  delete: DeleteHandler<T>[];
}

interface ListResponse<T> {
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** Cache key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

class GoneError extends Error {}

export class Informer<T extends KubernetesObject = KubernetesObject> {
  readonly options: InformerOptions;
  /** Human name for logs and metrics, e.g. `v1/secrets` or `imaging.eucalyptus.dev/v1alpha1/imagecaptures@ns`. */
  readonly resource: string;
  /** The one copy of every object. */
  #store = new Map<string, T>();
  #handlers: Handlers<T> = { add: [], update: [], delete: [] };
  #kind: string | undefined;
  #lastResourceVersion: string | undefined;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #resolveSynced!: () => void;
  #log: Logger;
  /** How many times the informer relisted because its watch expired. */
  resyncs = 0;
  readonly synced: Promise<void>;
  #isSynced = false;

  constructor(options: InformerOptions) {
    this.options = options;
    this.#kind = options.kind;
    this.resource = `${options.apiVersion}/${options.plural}${options.namespace ? `@${options.namespace}` : ''}`;
    this.#log = (options.log ?? logger()).child({ informer: this.resource });
    this.synced = new Promise((resolve) => {
      this.#resolveSynced = resolve;
    });
  }

  get hasSynced(): boolean {
    return this.#isSynced;
  }

  get size(): number {
    return this.#store.size;
  }

  /** The last resourceVersion seen (list, event or bookmark). */
  get resourceVersion(): string | undefined {
    return this.#lastResourceVersion;
  }

  on(event: 'add', handler: AddHandler<T>): this;
  on(event: 'update', handler: UpdateHandler<T>): this;
  on(event: 'delete', handler: DeleteHandler<T>): this;
  on(event: keyof Handlers<T>, handler: AddHandler<T> | UpdateHandler<T>): this {
    (this.#handlers[event] as unknown[]).push(handler);
    return this;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#store.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.#store.get(key);
  }

  has(key: string): boolean {
    return this.#store.has(key);
  }

  /** A snapshot array of the cached objects (the objects themselves are shared: do not mutate them). */
  list(): T[] {
    return [...this.#store.values()];
  }

  /** The cached objects whose key passes `keyFilter`, without an array of all of them (shared: do not mutate). */
  *values(keyFilter?: (key: string) => boolean): IterableIterator<T> {
    for (const [key, obj] of this.#store) if (!keyFilter || keyFilter(key)) yield obj;
  }

  keys(): string[] {
    return [...this.#store.keys()];
  }

  /**
   * Start listing and watching. The first start lists; a start after `stop()` resumes watching from the last
   * seen resourceVersion (or `resourceVersion` when given), relisting if the server no longer has it.
   */
  start(options: { resourceVersion?: string } = {}): void {
    if (this.#loop) return;
    if (options.resourceVersion !== undefined) this.#lastResourceVersion = options.resourceVersion;
    const abort = new AbortController();
    this.#abort = abort;
    this.#loop = this.#run(abort.signal).finally(() => {
      this.#loop = undefined;
    });
  }

  /** Stop watching; the cache is kept. Resolves once the watch has closed. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
  }

  readonly #recoveredListeners: Array<() => void> = [];

  /**
   * Called when the API server answers again after list or watch failures (an outage): work that failed meanwhile
   * should run now rather than after the long backoff it built up while the server was away.
   */
  onRecovered(listener: () => void): void {
    this.#recoveredListeners.push(listener);
  }

  #recovered(): void {
    for (const l of this.#recoveredListeners) l();
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let needList = this.#lastResourceVersion === undefined;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#relist(signal);
          needList = false;
          if (failures > 0) {
            failures = 0;
            this.#recovered();
          }
        }
        await this.#watch(signal, () => {
          if (failures > 0) {
            failures = 0;
            this.#recovered();
          }
        });
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof GoneError || statusCodeOf(err) === 410) {
          this.#log.info({ resourceVersion: this.#lastResourceVersion }, 'watch expired (410 Gone), relisting');
          needList = true;
          this.resyncs++;
          informerRelists.inc({ resource: this.resource });
          continue;
        }
        failures++;
        const delay = backoffDelay(failures, { baseMs: 500, capMs: 30_000 });
        this.#log.warn({ err, delayMs: delay }, needList ? 'list failed, retrying' : 'watch failed, retrying');
        await abortableDelay(delay, signal);
      }
    }
  }

  async #relist(signal: AbortSignal): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await kubeRequest<ListResponse<T>>(this.options.kubeConfig, 'GET', this.#path(), {
        query: { limit: this.options.pageSize ?? 500, continue: cont, labelSelector: this.options.labelSelector },
        signal,
      });
      if (!this.#kind && page.kind?.endsWith('List')) this.#kind = page.kind.slice(0, -4);
      for (const item of page.items ?? []) {
        const obj = this.#prepare(item);
        fresh.set(objectKey(obj), obj);
      }
      resourceVersion = page.metadata?.resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    // Swap in the new cache first, then tell handlers what changed since the old one.
    const old = this.#store;
    this.#store = fresh;
    this.#lastResourceVersion = resourceVersion;
    for (const [key, obj] of fresh) {
      const before = old.get(key);
      if (!before) this.#emit('add', obj);
      else if (before.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.#emit('update', before, obj);
    }
    for (const [key, obj] of old) {
      if (!fresh.has(key)) this.#emit('delete', obj);
    }
    if (!this.#isSynced) {
      this.#isSynced = true;
      this.#resolveSynced();
    }
  }

  async #watch(signal: AbortSignal, onOpen: () => void): Promise<void> {
    const t = this.options.watchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(t + Math.random() * t);
    await watchOnce(
      this.options.kubeConfig,
      this.#path(),
      {
        resourceVersion: this.#lastResourceVersion,
        allowWatchBookmarks: true,
        labelSelector: this.options.labelSelector,
        timeoutSeconds,
      },
      (event) => this.#onEvent(event),
      signal,
      // The server ends the watch at timeoutSeconds; silence well past that means a dead connection.
      (timeoutSeconds + 60) * 1000,
      onOpen,
    );
  }

  #onEvent(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      if (event.object.code === 410) throw new GoneError(event.object.message ?? 'Gone');
      throw new Error(`watch error: ${event.object.code ?? ''} ${event.object.message ?? ''}`);
    }
    const rv = event.object.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (rv) this.#lastResourceVersion = rv;
      return;
    }
    const obj = this.#prepare(event.object as T);
    const key = objectKey(obj);
    const before = this.#store.get(key);
    if (event.type === 'DELETED') {
      this.#store.delete(key);
      this.#emit('delete', before ?? obj);
    } else {
      this.#store.set(key, obj);
      if (before) this.#emit('update', before, obj);
      else this.#emit('add', obj);
    }
    if (rv) this.#lastResourceVersion = rv;
  }

  #prepare(decoded: T): T {
    const obj = (this.options.transform ?? stripUnreadFields)(decoded);
    if (!obj.apiVersion) obj.apiVersion = this.options.apiVersion;
    if (!obj.kind && this.#kind) obj.kind = this.#kind;
    return obj;
  }

  #emit(event: 'add' | 'delete', obj: T): void;
  #emit(event: 'update', oldObj: T, newObj: T): void;
  #emit(event: keyof Handlers<T>, a: T, b?: T): void {
    for (const handler of this.#handlers[event]) {
      try {
        if (event === 'update') (handler as UpdateHandler<T>)(a, b as T);
        else (handler as AddHandler<T>)(a);
      } catch (err) {
        this.#log.error({ err, event, key: objectKey(a) }, 'informer handler threw');
      }
    }
  }

  #path(): string {
    return resourcePath({ apiVersion: this.options.apiVersion, plural: this.options.plural, namespace: this.options.namespace });
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
