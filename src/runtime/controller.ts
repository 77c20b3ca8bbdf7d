// Controller: informer events -> work queue -> reconcile(key). A reconcile that throws is retried with
// exponential backoff; one that asks for `requeueAfterMs` runs again after it with its backoff reset.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ObjectCache } from './informer-group.ts';
import { objectKey } from './informer.ts';
import { logger } from './logger.ts';
import { partitionDeferred, reconcileDuration, reconcileTotal, workqueueDepth } from './metrics.ts';
import { WorkQueue, type WorkQueueOptions } from './workqueue.ts';

export type ReconcileResult = { requeueAfterMs?: number } | void;

export interface SecondarySource {
  cache: ObjectCache<KubernetesObject>;
  /** Keys (`namespace/name`) of the primary objects affected by a change of this secondary object. */
  map: (obj: KubernetesObject) => string[];
}

export interface ControllerOptions<T extends KubernetesObject> {
  name: string;
  primary: ObjectCache<T>;
  secondaries?: SecondarySource[];
  /** Enqueue on this primary update? Default: always (e.g. pass a generation/finalizer/deletion check). */
  updatePredicate?: (oldObj: T, newObj: T) => boolean;
  queue?: WorkQueueOptions;
  reconcile: (key: string) => Promise<ReconcileResult>;
  log?: Logger;
  /**
   * Bulkhead: the partition (the cloud) a key's work goes to, and how many workers one partition may hold.
   * A key whose partition is full goes back to the queue for a moment instead of taking a worker, so keys of
   * other partitions keep running (as per-flow queues in API priority and fairness).
   */
  partition?: { of: (key: string) => string | undefined; maxActive: number; retryMs?: number };
}

export class Controller<T extends KubernetesObject = KubernetesObject> {
  readonly name: string;
  readonly primary: ObjectCache<T>;
  readonly queue: WorkQueue;
  readonly #options: ControllerOptions<T>;
  readonly #log: Logger;
  readonly #activeByPartition = new Map<string, number>();

  constructor(options: ControllerOptions<T>) {
    this.name = options.name;
    this.primary = options.primary;
    this.#options = options;
    this.#log = (options.log ?? logger()).child({ controller: options.name });
    const userDepth = options.queue?.hooks?.depth;
    this.queue = new WorkQueue({
      ...options.queue,
      hooks: {
        ...options.queue?.hooks,
        depth: (d) => {
          workqueueDepth.set({ controller: options.name }, d);
          userDepth?.(d);
        },
      },
    });
    // After an API-server outage every failed key runs at once instead of after the backoff it built up.
    options.primary.onRecovered?.(() => {
      const keys = this.queue.retryFailedNow();
      if (keys.length) this.#log.info({ keys: keys.length }, 'API server answers again: retrying failed resources now');
    });
    const enqueueObj = (obj: T): void => this.enqueue(objectKey(obj));
    options.primary.on('add', enqueueObj);
    options.primary.on('update', (oldObj, newObj) => {
      if (!options.updatePredicate || options.updatePredicate(oldObj, newObj)) enqueueObj(newObj);
    });
    options.primary.on('delete', enqueueObj);
    for (const source of options.secondaries ?? []) {
      const enqueueMapped = (obj: KubernetesObject): void => {
        for (const key of source.map(obj)) this.enqueue(key);
      };
      source.cache.on('add', enqueueMapped);
      source.cache.on('update', (_old, obj) => enqueueMapped(obj));
      source.cache.on('delete', enqueueMapped);
    }
  }

  /** Wake a resource (cloud pollers call this when its cloud object changed). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** Start (or resume, after regaining leadership) reconciling. */
  start(): void {
    this.queue.run((key) => this.#reconcileOne(key));
  }

  /** Stop starting reconciles (keys stay queued) and wait for in-flight ones. */
  pause(): Promise<void> {
    return this.queue.pause();
  }

  /** Stop for good: finish in-flight reconciles within `deadlineMs`; resolves false if some did not finish. */
  stop(deadlineMs?: number): Promise<boolean> {
    return this.queue.shutDown(deadlineMs);
  }

  async #reconcileOne(key: string): Promise<void> {
    const partition = this.#options.partition;
    const part = partition?.of(key);
    if (partition && part !== undefined) {
      const active = this.#activeByPartition.get(part) ?? 0;
      if (active >= partition.maxActive) {
        partitionDeferred.inc({ controller: this.name });
        this.queue.addAfter(key, partition.retryMs ?? 500);
        return;
      }
      this.#activeByPartition.set(part, active + 1);
    }
    try {
      await this.#reconcileTimed(key);
    } finally {
      if (part !== undefined) {
        const left = (this.#activeByPartition.get(part) ?? 1) - 1;
        if (left > 0) this.#activeByPartition.set(part, left);
        else this.#activeByPartition.delete(part);
      }
    }
  }

  async #reconcileTimed(key: string): Promise<void> {
    const started = process.hrtime.bigint();
    let outcome = 'success';
    try {
      const result = await this.#options.reconcile(key);
      this.queue.forget(key);
      if (result && result.requeueAfterMs !== undefined) {
        outcome = 'requeue';
        this.queue.addAfter(key, result.requeueAfterMs);
      }
    } catch (err) {
      outcome = 'error';
      const retryInMs = this.queue.addRateLimited(key);
      this.#log.warn({ err, resource: key, retryInMs, attempt: this.queue.numRequeues(key) }, 'reconcile failed');
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      reconcileDuration.observe({ controller: this.name, outcome }, seconds);
      reconcileTotal.inc({ controller: this.name, outcome });
    }
  }
}
