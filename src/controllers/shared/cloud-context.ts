// Per-kind views of a cloud for the controllers: the shared gateway, its capabilities, and the shared batched
// pollers with each controller's keys namespaced (`ImageCapture|ns/name`), so one poller tick can wake
// resources of every kind and each wake-up reaches the right controller (routeKey). The object watchers are
// the batched pollers unless another WatcherSource is injected (the benchmark's naive baseline, bench/).
import type { CloudGateway } from '../../cloud/gateway.ts';
import type { BatchPoller } from '../../cloud/pollers.ts';
import type { CloudRegistry } from '../../cloud/registry.ts';
import type { CloudSettings } from '../../cloud/settings.ts';
import type { Capabilities } from '../../cloud/capabilities.ts';
import type { BundleTaskInfo, ImageInfo, InstanceInfo, SnapshotInfo } from '../../cloud/ec2.ts';
import type { CreateCallSigner } from './create-calls.ts';

/** A batched poller's view for one kind of cloud object. */
export interface Watcher<T> {
  watch(id: string, key: string): void;
  unwatch(key: string): void;
  get(id: string): T | { notFound: true } | undefined;
}

/** The watchers of every kind of cloud object a controller waits on. */
export interface Watchers {
  snapshots: Watcher<SnapshotInfo>;
  images: Watcher<ImageInfo>;
  instances: Watcher<InstanceInfo>;
  bundleTasks: Watcher<BundleTaskInfo>;
}

/** The cloud as one controller kind sees it: gateway, capabilities, watchers, and the operator's signer of create checkpoints. */
export interface KindCloud extends Watchers {
  gw: CloudGateway;
  capabilities: Capabilities;
  learn(partial: Partial<Capabilities>): void;
  createCalls: CreateCallSigner;
}

/** A poller key: the controller kind and the resource key, so a wake-up reaches the right controller. */
export type PollerKey = `${string}|${string}`;

const SEP = '|';

export function pollerKey(kind: string, key: string): PollerKey {
  return `${kind}${SEP}${key}`;
}

/** Splits a poller key back into the controller kind and the resource key. */
export function routeKey(key: string): { kind: string; key: string } {
  const i = key.indexOf(SEP);
  return { kind: key.slice(0, i), key: key.slice(i + 1) };
}

/** Where the watchers of a cloud come from when they are not the shared batched pollers. */
export interface WatcherSource {
  /** The watchers of one cloud for one kind; keys passed to them are already scoped (`Kind|ns/name`). */
  watchers(cloudId: string, gw: CloudGateway, scope: (key: string) => PollerKey): Watchers;
  /** Drops every watch of one scoped key. */
  forget(key: PollerKey): void;
}

function scoped<T>(poller: BatchPoller<T>, kind: string): Watcher<T> {
  return {
    watch: (id, key) => poller.watch(id, pollerKey(kind, key)),
    unwatch: (key) => poller.unwatch(pollerKey(kind, key)),
    get: (id) => poller.get(id),
  };
}

export interface CloudContextsOptions {
  /** Signs and verifies the create checkpoints in status (one key per operator install). */
  createCalls: CreateCallSigner;
  /** Watchers other than the shared batched pollers (the benchmark's naive baseline). */
  watchers?: WatcherSource;
}

export class CloudContexts {
  private readonly registry: CloudRegistry;
  private readonly touched = new Map<string, Set<string>>();
  private readonly source: WatcherSource | undefined;
  private readonly createCalls: CreateCallSigner;

  constructor(registry: CloudRegistry, options: CloudContextsOptions) {
    this.registry = registry;
    this.source = options.watchers;
    this.createCalls = options.createCalls;
  }

  async forKind(kind: string, settings: CloudSettings): Promise<KindCloud> {
    const gw = this.registry.get(settings);
    const capabilities = await this.registry.capabilitiesOf(settings.id);
    let clouds = this.touched.get(kind);
    if (!clouds) this.touched.set(kind, (clouds = new Set()));
    clouds.add(settings.id);
    const learn = (partial: Partial<Capabilities>) => this.registry.learn(settings.id, partial);
    const createCalls = this.createCalls;
    if (this.source) return { gw, capabilities, learn, createCalls, ...this.source.watchers(settings.id, gw, (key) => pollerKey(kind, key)) };
    const pollers = this.registry.pollers(settings.id);
    return {
      gw,
      capabilities,
      learn,
      createCalls,
      snapshots: scoped(pollers.snapshots, kind),
      images: scoped(pollers.images, kind),
      instances: scoped(pollers.instances, kind),
      bundleTasks: scoped(pollers.bundleTasks, kind),
    };
  }

  /** Drops every poller registration of one resource, on every cloud its kind has used. */
  forget(kind: string, key: string): void {
    this.source?.forget(pollerKey(kind, key));
    for (const id of this.touched.get(kind) ?? []) {
      if (!this.registry.lookup(id)) continue;
      const p = this.registry.pollers(id);
      for (const poller of [p.snapshots, p.images, p.instances, p.bundleTasks] as BatchPoller<unknown>[]) {
        poller.unwatch(pollerKey(kind, key));
      }
    }
  }
}
