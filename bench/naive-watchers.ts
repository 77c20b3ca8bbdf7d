// The benchmark's naive baseline: every waiting resource polls each of its own objects with its own Describe
// call (one id per call) on a fixed interval, the way most controllers poll. It exists only to measure what the
// shared batched pollers save, so it lives here and is injected into the operator by bench/naive-operator.ts
// as a WatcherSource; the shipped operator never contains it.
import type { CloudGateway } from '../src/cloud/gateway.ts';
import {
  bundleTaskPoller, imagePoller, instancePoller, snapshotPoller,
  type BatchPoller, type PollerFactoryOptions,
} from '../src/cloud/pollers.ts';
import type { PollerKey, Watcher, Watchers, WatcherSource } from '../src/controllers/shared/cloud-context.ts';

type PollerFactory<T> = (gw: CloudGateway, o: PollerFactoryOptions) => BatchPoller<T>;

export interface NaiveWatcherOptions {
  /** Fixed interval of every per-object poll. */
  intervalMs: number;
  /** Receives the scoped key (`Kind|ns/name`) of the resource whose object changed. */
  onChange: (pollerKey: string) => void;
}

/** One single-id poller per (resource, object): no batching and no adaptive interval. */
export class NaiveWatcher<T> {
  private readonly gw: CloudGateway;
  private readonly factory: PollerFactory<T>;
  private readonly opts: NaiveWatcherOptions;
  private readonly byKey = new Map<string, Map<string, BatchPoller<T>>>();
  private readonly byId = new Map<string, Set<BatchPoller<T>>>();

  constructor(gw: CloudGateway, factory: PollerFactory<T>, opts: NaiveWatcherOptions) {
    this.gw = gw;
    this.factory = factory;
    this.opts = opts;
  }

  watch(id: string, key: string): void {
    let mine = this.byKey.get(key);
    if (!mine) this.byKey.set(key, (mine = new Map()));
    if (mine.has(id)) return;
    const poller = this.factory(this.gw, {
      minIntervalMs: this.opts.intervalMs,
      maxIntervalMs: this.opts.intervalMs,
      backoffFactor: 1,
      chunkSize: 1,
      onChange: this.opts.onChange,
    });
    poller.watch(id, key);
    mine.set(id, poller);
    let all = this.byId.get(id);
    if (!all) this.byId.set(id, (all = new Set()));
    all.add(poller);
  }

  unwatch(key: string): void {
    const mine = this.byKey.get(key);
    if (!mine) return;
    this.byKey.delete(key);
    for (const [id, poller] of mine) {
      poller.stop();
      const all = this.byId.get(id);
      all?.delete(poller);
      if (all?.size === 0) this.byId.delete(id);
    }
  }

  /** The freshest observation any resource's poller holds for `id`. */
  get(id: string): ReturnType<BatchPoller<T>['get']> {
    for (const poller of this.byId.get(id) ?? []) {
      const seen = poller.get(id);
      if (seen !== undefined) return seen;
    }
    return undefined;
  }

  /** Keys with an active watch (to wake them when the cloud's clients are rebuilt). */
  watchedKeys(): string[] {
    return [...this.byKey.keys()];
  }

  stop(): void {
    for (const key of [...this.byKey.keys()]) this.unwatch(key);
  }
}

export interface NaiveWatchers {
  gw: CloudGateway;
  snapshots: NaiveWatcher<unknown>;
  images: NaiveWatcher<unknown>;
  instances: NaiveWatcher<unknown>;
  bundleTasks: NaiveWatcher<unknown>;
}

export function createNaiveWatchers(gw: CloudGateway, opts: NaiveWatcherOptions): NaiveWatchers {
  return {
    gw,
    snapshots: new NaiveWatcher(gw, snapshotPoller, opts) as NaiveWatcher<unknown>,
    images: new NaiveWatcher(gw, imagePoller, opts) as NaiveWatcher<unknown>,
    instances: new NaiveWatcher(gw, instancePoller, opts) as NaiveWatcher<unknown>,
    bundleTasks: new NaiveWatcher(gw, bundleTaskPoller, opts) as NaiveWatcher<unknown>,
  };
}

export function allNaive(w: NaiveWatchers): NaiveWatcher<unknown>[] {
  return [w.snapshots, w.images, w.instances, w.bundleTasks];
}

/** A kind's view of one naive watcher, keys scoped like the batched pollers' (`Kind|ns/name`). */
export function scopedNaive<T>(w: NaiveWatcher<unknown>, scope: (key: string) => string): Watcher<T> {
  const typed = w as NaiveWatcher<T>;
  return {
    watch: (id, key) => typed.watch(id, scope(key)),
    unwatch: (key) => typed.unwatch(scope(key)),
    get: (id) => typed.get(id),
  };
}

/** Naive watchers per cloud, rebuilt (their resources woken) when the cloud's gateway was rebuilt. */
export function naiveWatcherSource(opts: NaiveWatcherOptions): WatcherSource {
  const byCloud = new Map<string, NaiveWatchers>();
  return {
    watchers(cloudId: string, gw: CloudGateway, scope: (key: string) => PollerKey): Watchers {
      let w = byCloud.get(cloudId);
      if (w?.gw !== gw) {
        const orphans = w ? new Set(allNaive(w).flatMap((x) => x.watchedKeys())) : new Set<string>();
        if (w) for (const x of allNaive(w)) x.stop();
        w = createNaiveWatchers(gw, opts);
        byCloud.set(cloudId, w);
        for (const key of orphans) opts.onChange(key);
      }
      return {
        snapshots: scopedNaive(w.snapshots, scope),
        images: scopedNaive(w.images, scope),
        instances: scopedNaive(w.instances, scope),
        bundleTasks: scopedNaive(w.bundleTasks, scope),
      };
    },
    forget(key: PollerKey): void {
      for (const w of byCloud.values()) for (const x of allNaive(w)) x.unwatch(key);
    },
  };
}
