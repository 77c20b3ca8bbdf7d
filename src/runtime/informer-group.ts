// One cache over several namespaces: the manager runs one Informer per watched namespace (a sharded install
// watches only its namespaces) and controllers see them as a single cache.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Informer, type AddHandler, type DeleteHandler, type InformerOptions, type UpdateHandler } from './informer.ts';

/** What controllers need from a cache, whether one informer or a group of them. */
export interface ObjectCache<T extends KubernetesObject> {
  readonly resource: string;
  readonly synced: Promise<void>;
  readonly hasSynced: boolean;
  on(event: 'add', handler: AddHandler<T>): this;
  on(event: 'update', handler: UpdateHandler<T>): this;
  on(event: 'delete', handler: DeleteHandler<T>): this;
  get(namespace: string | undefined, name: string): T | undefined;
  getByKey(key: string): T | undefined;
  has(key: string): boolean;
  /** Every cached object, in a new array. */
  list(): T[];
  /** The cached objects whose key passes `keyFilter`, without building an array of all of them. */
  values(keyFilter?: (key: string) => boolean): Iterable<T>;
  /** Called when the API server answers again after an outage (optional: test doubles may lack it). */
  onRecovered?(listener: () => void): void;
  start(): void;
  stop(): Promise<void>;
}

export class InformerGroup<T extends KubernetesObject = KubernetesObject> implements ObjectCache<T> {
  readonly resource: string;
  readonly informers: Informer<T>[];
  readonly synced: Promise<void>;
  #byNamespace = new Map<string, Informer<T>>();

  onRecovered(listener: () => void): void {
    for (const inf of this.informers) inf.onRecovered(listener);
  }

  constructor(options: Omit<InformerOptions, 'namespace'>, namespaces: string[]) {
    if (namespaces.length === 0) throw new Error('InformerGroup needs at least one namespace');
    this.informers = [...new Set(namespaces)].map((namespace) => new Informer<T>({ ...options, namespace }));
    for (const inf of this.informers) this.#byNamespace.set(inf.options.namespace as string, inf);
    this.resource = `${options.apiVersion}/${options.plural}@${namespaces.join(',')}`;
    this.synced = Promise.all(this.informers.map((i) => i.synced)).then(() => undefined);
  }

  get hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced);
  }

  get resyncs(): number {
    return this.informers.reduce((n, i) => n + i.resyncs, 0);
  }

  on(event: 'add', handler: AddHandler<T>): this;
  on(event: 'update', handler: UpdateHandler<T>): this;
  on(event: 'delete', handler: DeleteHandler<T>): this;
  on(event: 'add' | 'update' | 'delete', handler: AddHandler<T> | UpdateHandler<T>): this {
    for (const inf of this.informers) (inf.on as (e: string, h: unknown) => unknown)(event, handler);
    return this;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return namespace ? this.#byNamespace.get(namespace)?.get(namespace, name) : undefined;
  }

  getByKey(key: string): T | undefined {
    const slash = key.indexOf('/');
    return slash < 0 ? undefined : this.get(key.slice(0, slash), key.slice(slash + 1));
  }

  has(key: string): boolean {
    const slash = key.indexOf('/');
    return slash >= 0 && (this.#byNamespace.get(key.slice(0, slash))?.has(key) ?? false);
  }

  list(): T[] {
    return this.informers.flatMap((i) => i.list());
  }

  *values(keyFilter?: (key: string) => boolean): IterableIterator<T> {
    for (const inf of this.informers) yield* inf.values(keyFilter);
  }

  start(): void {
    for (const inf of this.informers) inf.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}
