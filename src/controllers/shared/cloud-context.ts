// Per-kind views of a cloud for the controllers: the shared gateway, its capabilities, and the shared batched
// pollers with each controller's keys namespaced (`ImageCapture|ns/name`), so one poller tick can wake
// resources of every kind and each wake-up reaches the right controller.
import type { CloudGateway } from '../../cloud/gateway.ts';
import type { BatchPoller } from '../../cloud/pollers.ts';
import type { CloudRegistry } from '../../cloud/registry.ts';
import type { CloudSettings } from '../../cloud/settings.ts';
import { applyOverrides, type Capabilities } from '../../cloud/capabilities.ts';
import type { BundleTaskInfo, ImageInfo, InstanceInfo, SnapshotInfo } from '../../cloud/ec2.ts';
import { allNaive, createNaiveWatchers, scopedNaive, type NaiveWatcherOptions, type NaiveWatchers } from './naive-watchers.ts';

/** A batched poller's view for one kind of cloud object. */
export interface Watcher<T> {
  watch(id: string, key: string): void;
  unwatch(key: string): void;
  get(id: string): T | { notFound: true } | undefined;
}

export interface KindCloud {
  gw: CloudGateway;
  capabilities: Capabilities;
  learn(partial: Partial<Capabilities>): void;
  snapshots: Watcher<SnapshotInfo>;
  images: Watcher<ImageInfo>;
  instances: Watcher<InstanceInfo>;
  bundleTasks: Watcher<BundleTaskInfo>;
}

const SEP = '|';

/** Splits a poller key back into the controller kind and the resource key. */
export function routeKey(pollerKey: string): { kind: string; key: string } {
  const i = pollerKey.indexOf(SEP);
  return { kind: pollerKey.slice(0, i), key: pollerKey.slice(i + 1) };
}

function scoped<T>(poller: BatchPoller<T>, kind: string): Watcher<T> {
  return {
    watch: (id, key) => poller.watch(id, `${kind}${SEP}${key}`),
    unwatch: (key) => poller.unwatch(`${kind}${SEP}${key}`),
    get: (id) => poller.get(id),
  };
}

export interface CloudContextsOptions {
  /** Benchmark baseline: per-resource, per-object polling instead of the shared batched pollers. */
  naive?: NaiveWatcherOptions;
}

export class CloudContexts {
  private readonly registry: CloudRegistry;
  private readonly touched = new Map<string, Set<string>>();
  private readonly naiveOptions: NaiveWatcherOptions | undefined;
  private readonly naive = new Map<string, NaiveWatchers>();

  constructor(registry: CloudRegistry, options: CloudContextsOptions = {}) {
    this.registry = registry;
    this.naiveOptions = options.naive;
  }

  async forKind(kind: string, settings: CloudSettings): Promise<KindCloud> {
    const gw = this.registry.get(settings);
    const detected = this.registry.capabilities(settings.id) ?? (await this.registry.detect(settings.id)).capabilities;
    const capabilities = applyOverrides(detected, settings.capabilities);
    const pollers = this.registry.pollers(settings.id);
    let clouds = this.touched.get(kind);
    if (!clouds) this.touched.set(kind, (clouds = new Set()));
    clouds.add(settings.id);
    if (this.naiveOptions) return { gw, capabilities, learn: (partial) => this.registry.learn(settings.id, partial), ...this.naiveFor(settings.id, gw, kind) };
    return {
      gw,
      capabilities,
      learn: (partial) => this.registry.learn(settings.id, partial),
      snapshots: scoped(pollers.snapshots, kind),
      images: scoped(pollers.images, kind),
      instances: scoped(pollers.instances, kind),
      bundleTasks: scoped(pollers.bundleTasks, kind),
    };
  }

  /** Naive watchers of one cloud, rebuilt (their resources woken) when the cloud's gateway was rebuilt. */
  private naiveFor(id: string, gw: CloudGateway, kind: string): Pick<KindCloud, 'snapshots' | 'images' | 'instances' | 'bundleTasks'> {
    let w = this.naive.get(id);
    if (w?.gw !== gw) {
      const orphans = w ? new Set(allNaive(w).flatMap((x) => x.watchedKeys())) : new Set<string>();
      if (w) for (const x of allNaive(w)) x.stop();
      w = createNaiveWatchers(gw, this.naiveOptions!);
      this.naive.set(id, w);
      for (const key of orphans) this.naiveOptions!.onChange(key);
    }
    const scope = (key: string) => `${kind}${SEP}${key}`;
    return {
      snapshots: scopedNaive(w.snapshots, scope),
      images: scopedNaive(w.images, scope),
      instances: scopedNaive(w.instances, scope),
      bundleTasks: scopedNaive(w.bundleTasks, scope),
    };
  }

  /** Drops every poller registration of one resource, on every cloud its kind has used. */
  forget(kind: string, key: string): void {
    for (const w of this.naive.values()) for (const x of allNaive(w)) x.unwatch(`${kind}${SEP}${key}`);
    for (const id of this.touched.get(kind) ?? []) {
      if (!this.registry.lookup(id)) continue;
      const p = this.registry.pollers(id);
      for (const poller of [p.snapshots, p.images, p.instances, p.bundleTasks] as BatchPoller<unknown>[]) {
        poller.unwatch(`${kind}${SEP}${key}`);
      }
    }
  }
}
