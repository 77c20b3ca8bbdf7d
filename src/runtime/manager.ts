// Owns the shared informer caches, the controllers and leader election. Informers run on every replica so a
// standby keeps a warm cache; controllers' queues run only while this replica leads (or always, without
// leader election). stop() is what SIGTERM calls: stop taking work, finish in-flight reconciles within a
// deadline, release the Lease.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { EventRecorder } from './events.ts';
import { InformerGroup, type ObjectCache } from './informer-group.ts';
import { Informer } from './informer.ts';
import { LeaderElector } from './leader.ts';
import { logger } from './logger.ts';

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  /** Namespaces to watch; empty or absent = all namespaces. */
  namespaces?: string[];
  leaderElection?: LeaderElectionConfig;
  /** Label selector of this process's shard, added to every informer asking for it (`sharded`). */
  shardSelector?: string;
  /** How long stop() waits for in-flight reconciles (ms). */
  shutdownDeadlineMs?: number;
  log?: Logger;
}

export interface InformerSpec {
  apiVersion: string;
  plural: string;
  kind?: string;
  labelSelector?: string;
  /** Watch all namespaces even when the manager is limited to some (e.g. cluster-scoped kinds). */
  clusterWide?: boolean;
  /** List and watch only this shard's objects (the manager's shardSelector, on the API server). */
  sharded?: boolean;
}

/** What a controller factory gets from the manager. */
export interface ManagerContext {
  kubeConfig: KubeConfig;
  namespaces: string[];
  recorder: EventRecorder;
  log: Logger;
  /** The shared cache of a resource (one per spec, shared by every controller that asks). */
  informer<T extends KubernetesObject>(spec: InformerSpec): ObjectCache<T>;
}

/** What the manager needs of a controller (a `Controller<T>` of any kind fits). */
export interface ManagedController {
  readonly name: string;
  start(): void;
  pause(): Promise<void>;
  stop(deadlineMs?: number): Promise<boolean>;
}

export type ControllerFactory<C extends ManagedController = ManagedController> = (ctx: ManagerContext) => C;

export class Manager {
  readonly options: ManagerOptions;
  readonly recorder: EventRecorder;
  readonly controllers: ManagedController[] = [];
  readonly #caches = new Map<string, ObjectCache<KubernetesObject>>();
  readonly #log: Logger;
  readonly #elector: LeaderElector | undefined;
  #started = false;
  #stopping = false;
  #leading = false;
  /** Bumped on every leadership change so a late "caches synced" does not start controllers after a loss. */
  #term = 0;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.#log = (options.log ?? logger()).child({ module: 'manager' });
    this.recorder = new EventRecorder({ kubeConfig: options.kubeConfig, instance: options.leaderElection?.identity, log: options.log });
    if (options.leaderElection) {
      this.#elector = new LeaderElector({ kubeConfig: options.kubeConfig, ...options.leaderElection, log: options.log });
    }
  }

  get namespaces(): string[] {
    return this.options.namespaces ?? [];
  }

  /** True once every informer has synced. A standby is ready too: it can take over at once. */
  get ready(): boolean {
    return this.#started && !this.#stopping && [...this.#caches.values()].every((c) => c.hasSynced);
  }

  get isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader : this.#started && !this.#stopping;
  }

  informer<T extends KubernetesObject>(spec: InformerSpec): ObjectCache<T> {
    const shard = spec.sharded ? this.options.shardSelector : undefined;
    const labelSelector = [spec.labelSelector, shard].filter(Boolean).join(',') || undefined;
    const key = `${spec.apiVersion}/${spec.plural}|${labelSelector ?? ''}|${spec.clusterWide ? '*' : ''}`;
    let cache = this.#caches.get(key);
    if (!cache) {
      const base = {
        kubeConfig: this.options.kubeConfig,
        apiVersion: spec.apiVersion,
        plural: spec.plural,
        kind: spec.kind,
        labelSelector,
        log: this.options.log,
      };
      const ns = spec.clusterWide ? [] : this.namespaces;
      if (ns.length === 0) cache = new Informer<KubernetesObject>(base);
      else if (ns.length === 1) cache = new Informer<KubernetesObject>({ ...base, namespace: ns[0] });
      else cache = new InformerGroup<KubernetesObject>(base, ns);
      this.#caches.set(key, cache);
      if (this.#started) cache.start();
    }
    return cache as unknown as ObjectCache<T>;
  }

  addController<C extends ManagedController>(factory: ControllerFactory<C>): C {
    const controller = factory({
      kubeConfig: this.options.kubeConfig,
      namespaces: this.namespaces,
      recorder: this.recorder,
      log: this.options.log ?? logger(),
      informer: (spec) => this.informer(spec),
    });
    this.controllers.push(controller);
    if (this.#leading) void this.#startControllers(this.#term);
    return controller;
  }

  /** Start caches; start controllers now (no leader election) or when this replica becomes leader. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.recorder.start();
    for (const cache of this.#caches.values()) cache.start();
    if (!this.#elector) {
      this.#onStartedLeading();
      return;
    }
    void this.#elector.run({
      onStartedLeading: () => this.#onStartedLeading(),
      onStoppedLeading: () => this.#onStoppedLeading(),
    });
  }

  /** Resolves once every cache has synced. */
  async waitForCacheSync(): Promise<void> {
    await Promise.all([...this.#caches.values()].map((c) => c.synced));
  }

  /** Stop taking work, let in-flight reconciles finish (up to the deadline), stop caches, release the Lease. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#term++;
    const deadline = this.options.shutdownDeadlineMs ?? 25_000;
    const finished = await Promise.all(this.controllers.map((c) => c.stop(deadline)));
    if (finished.some((ok) => !ok)) this.#log.warn({ deadlineMs: deadline }, 'some reconciles were still running at the shutdown deadline');
    await Promise.all([...this.#caches.values()].map((c) => c.stop()));
    // The counts of event series not written yet (repeats are written when a series ends).
    await this.recorder.stop();
    await this.#elector?.release();
    this.#leading = false;
    this.#log.info('manager stopped');
  }

  #onStartedLeading(): void {
    if (this.#stopping) return;
    this.#leading = true;
    const term = ++this.#term;
    void this.#startControllers(term);
  }

  #onStoppedLeading(): void {
    this.#leading = false;
    this.#term++;
    this.#log.warn('lost leadership: pausing controllers');
    for (const c of this.controllers) void c.pause();
  }

  async #startControllers(term: number): Promise<void> {
    // Reconciles read from the caches, so they must be complete first.
    await this.waitForCacheSync();
    if (term !== this.#term || this.#stopping) return;
    for (const c of this.controllers) c.start();
    this.#log.info({ controllers: this.controllers.map((c) => c.name) }, 'controllers started');
  }
}
