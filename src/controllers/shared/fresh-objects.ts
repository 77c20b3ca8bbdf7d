// The informer cache can lag behind the controller's own writes. A reconcile woken right after a status write
// must not act on the older copy (it would, for example, reboot an instance a second time), so the objects the
// API server returned from our writes are kept until the cache has caught up.
import type { KubernetesObject } from '@kubernetes/client-node';
import { stripUnreadFields } from '../../runtime/cache-transform.ts';

function revision(obj: KubernetesObject | undefined): bigint {
  try {
    return BigInt(obj?.metadata?.resourceVersion ?? '0');
  } catch {
    return 0n; // resourceVersion is opaque in principle; etcd-backed servers use revisions
  }
}

export class FreshObjects<T extends KubernetesObject> {
  private readonly written = new Map<string, T>();

  record(key: string, obj: T | undefined): void {
    // Kept like a cached object: without the fields no controller reads.
    if (obj?.metadata?.resourceVersion) this.written.set(key, stripUnreadFields(obj));
  }

  /** The newer of the cached object and the last one this controller wrote. */
  pick(key: string, cached: T | undefined): T | undefined {
    const mine = this.written.get(key);
    if (!mine) return cached;
    if (!cached) {
      this.written.delete(key);
      return undefined;
    }
    if (revision(cached) >= revision(mine)) {
      this.written.delete(key);
      return cached;
    }
    // Keep the cache's view of deletion: a deletion may have happened after our write.
    return cached.metadata?.deletionTimestamp ? cached : mine;
  }

  forget(key: string): void {
    this.written.delete(key);
  }

  get size(): number {
    return this.written.size;
  }
}
