// The writes every controller makes to its own resources, recorded in FreshObjects so the next reconcile
// never acts on a cache older than its own last write; and the events sink.
import type { KubernetesObject } from '@kubernetes/client-node';
import { FINALIZER } from '../../api/constants.ts';
import type { ManagerContext } from '../../runtime/manager.ts';
import { ensureFinalizer, patchStatus, removeFinalizer, type KindRef } from '../../runtime/status.ts';
import type { FreshObjects } from './fresh-objects.ts';
import type { EventSink } from './step-reconciler.ts';

export interface ResourceWriter<T, S> {
  patchStatus(obj: T, status: S): Promise<void>;
  ensureFinalizer(obj: T): Promise<T>;
  removeFinalizer(obj: T): Promise<void>;
}

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;

export function resourceWriter<T extends KubernetesObject, S extends object>(ctx: ManagerContext, kind: KindRef, fresh: FreshObjects<T>): ResourceWriter<T, S> {
  return {
    async patchStatus(obj, status) {
      const ref = { ...kind, namespace: obj.metadata?.namespace, name: obj.metadata!.name! };
      fresh.record(keyOf(obj), await patchStatus<T>(ctx.kubeConfig, ref, status));
    },
    async ensureFinalizer(obj) {
      const updated = await ensureFinalizer(ctx.kubeConfig, kind, obj, FINALIZER);
      fresh.record(keyOf(obj), updated);
      return updated;
    },
    async removeFinalizer(obj) {
      await removeFinalizer(ctx.kubeConfig, kind, obj, FINALIZER);
      fresh.forget(keyOf(obj));
    },
  };
}

/** Events never block or fail a reconcile; their reasons are declared in api/reasons.ts. */
export function eventSink<T extends KubernetesObject>(ctx: ManagerContext): EventSink<T> {
  return {
    normal: (obj, reason, message) => void ctx.recorder.normal(obj, reason, message),
    warning: (obj, reason, message) => void ctx.recorder.warning(obj, reason, message),
  };
}
