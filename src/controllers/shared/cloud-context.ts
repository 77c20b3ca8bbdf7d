// Per-kind views of a cloud for the controllers: the shared gateway, its capabilities, and the shared batched
// pollers with each controller's keys namespaced (`ImageCapture|ns/name`), so one poller tick can wake
// resources of every kind and each wake-up reaches the right controller.
import type { CloudGateway } from '../../cloud/gateway.ts';
import type { BatchPoller } from '../../cloud/pollers.ts';
import type { CloudRegistry } from '../../cloud/registry.ts';
import type { CloudSettings } from '../../cloud/settings.ts';
import { applyOverrides, type Capabilities } from '../../cloud/capabilities.ts';
import type { BundleTaskInfo, ConversionTaskInfo, ImageInfo, InstanceInfo, SnapshotInfo } from '../../cloud/ec2.ts';
import type { Watcher } from '../imagecapture/ports.ts';

export interface KindCloud {
  gw: CloudGateway;
  capabilities: Capabilities;
  learn(partial: Partial<Capabilities>): void;
  snapshots: Watcher<SnapshotInfo>;
  images: Watcher<ImageInfo>;
  instances: Watcher<InstanceInfo>;
  bundleTasks: Watcher<BundleTaskInfo>;
  conversionTasks: Watcher<ConversionTaskInfo>;
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

export class CloudContexts {
  private readonly registry: CloudRegistry;
  private readonly touched = new Map<string, Set<string>>();

  constructor(registry: CloudRegistry) {
    this.registry = registry;
  }

  async forKind(kind: string, settings: CloudSettings): Promise<KindCloud> {
    const gw = this.registry.get(settings);
    const detected = this.registry.capabilities(settings.id) ?? (await this.registry.detect(settings.id)).capabilities;
    const capabilities = applyOverrides(detected, settings.capabilities);
    const pollers = this.registry.pollers(settings.id);
    let clouds = this.touched.get(kind);
    if (!clouds) this.touched.set(kind, (clouds = new Set()));
    clouds.add(settings.id);
    return {
      gw,
      capabilities,
      learn: (partial) => this.registry.learn(settings.id, partial),
      snapshots: scoped(pollers.snapshots, kind),
      images: scoped(pollers.images, kind),
      instances: scoped(pollers.instances, kind),
      bundleTasks: scoped(pollers.bundleTasks, kind),
      conversionTasks: scoped(pollers.conversionTasks, kind),
    };
  }

  /** Drops every poller registration of one resource, on every cloud its kind has used. */
  forget(kind: string, key: string): void {
    for (const id of this.touched.get(kind) ?? []) {
      if (!this.registry.lookup(id)) continue;
      const p = this.registry.pollers(id);
      for (const poller of [p.snapshots, p.images, p.instances, p.bundleTasks, p.conversionTasks] as BatchPoller<unknown>[]) {
        poller.unwatch(`${kind}${SEP}${key}`);
      }
    }
  }
}
