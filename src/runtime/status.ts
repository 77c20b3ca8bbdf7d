// Writes the controller makes to its own resources: status through the status subresource, and finalizers
// through patches guarded by the resourceVersion they were computed from, so a concurrent change fails with
// 409 Conflict instead of being overwritten; the caller re-reads and retries. (A JSON patch `test` op would
// also guard, but the API server answers its failure with a generic 422 Invalid that cannot be told apart from
// a malformed patch, so the resourceVersion precondition, answered with a real 409, is used instead.)
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { CONTENT_TYPE, kubeRequest, resourcePath, statusCodeOf } from './rest.ts';

export interface ObjectRef {
  apiVersion: string;
  plural: string;
  namespace?: string;
  name: string;
}

/** Kind of a resource (apiVersion + plural) without a particular object. */
export type KindRef = Pick<ObjectRef, 'apiVersion' | 'plural'>;

/**
 * Merge-patch `status` into the object's status subresource. No resourceVersion precondition: the controller is
 * the only status writer; the caller sets `observedGeneration`. Fields set to null or undefined are removed.
 */
export async function patchStatus<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  ref: ObjectRef,
  status: Record<string, unknown> | object,
): Promise<T> {
  return kubeRequest<T>(kubeConfig, 'PATCH', resourcePath(ref, 'status'), {
    body: { status: undefinedAsNull(status) },
    contentType: CONTENT_TYPE.mergePatch,
  });
}

/**
 * JSON drops a field whose value is undefined, and a merge patch keeps every field it does not mention: a field a
 * controller cleared (set to undefined) must be sent as null to be removed. Arrays are replaced whole by a merge
 * patch, so their elements (and any non-plain object) are left as they are.
 */
export function undefinedAsNull(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === undefined ? null : undefinedAsNull(v)]));
}

export async function getObject<T extends KubernetesObject>(kubeConfig: KubeConfig, ref: ObjectRef): Promise<T> {
  return kubeRequest<T>(kubeConfig, 'GET', resourcePath(ref));
}

function refOf(kind: KindRef, obj: KubernetesObject): ObjectRef {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  return { ...kind, namespace: obj.metadata?.namespace, name };
}

function precondition(obj: KubernetesObject): string {
  const rv = obj.metadata?.resourceVersion;
  if (!rv) throw new Error('object has no metadata.resourceVersion: read it from the server first');
  return rv;
}

/**
 * The merge patch that adds `finalizer` to `obj` as read, or null if already present. It carries the read
 * resourceVersion, which the API server checks: the whole list can be sent because it is only written over
 * the very version it was computed from, and any change in between yields 409 Conflict.
 */
export function addFinalizerPatch(obj: KubernetesObject, finalizer: string): object | null {
  const finalizers = obj.metadata?.finalizers ?? [];
  if (finalizers.includes(finalizer)) return null;
  return { metadata: { resourceVersion: precondition(obj), finalizers: [...finalizers, finalizer] } };
}

/** The merge patch that removes `finalizer` from `obj` as read (resourceVersion-guarded), or null if absent. */
export function removeFinalizerPatch(obj: KubernetesObject, finalizer: string): object | null {
  const finalizers = obj.metadata?.finalizers ?? [];
  if (!finalizers.includes(finalizer)) return null;
  return { metadata: { resourceVersion: precondition(obj), finalizers: finalizers.filter((f) => f !== finalizer) } };
}

/** Add the finalizer unless present; returns the updated object (or `obj` when nothing changed). */
export async function ensureFinalizer<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  kind: KindRef,
  obj: T,
  finalizer: string,
): Promise<T> {
  const patch = addFinalizerPatch(obj, finalizer);
  if (!patch) return obj;
  return kubeRequest<T>(kubeConfig, 'PATCH', resourcePath(refOf(kind, obj)), {
    body: patch,
    contentType: CONTENT_TYPE.mergePatch,
  });
}

/** Remove the finalizer if present; returns the updated object (or `obj` when nothing changed). */
export async function removeFinalizer<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  kind: KindRef,
  obj: T,
  finalizer: string,
): Promise<T> {
  const patch = removeFinalizerPatch(obj, finalizer);
  if (!patch) return obj;
  return kubeRequest<T>(kubeConfig, 'PATCH', resourcePath(refOf(kind, obj)), {
    body: patch,
    contentType: CONTENT_TYPE.mergePatch,
  });
}

/** A write lost a race with another writer (409 Conflict): re-read and retry. */
export function isConflict(err: unknown): boolean {
  return statusCodeOf(err) === 409;
}

export function isNotFound(err: unknown): boolean {
  return statusCodeOf(err) === 404;
}

/** Run `attempt` (which should re-read the object) again while it fails with a conflict. */
export async function retryOnConflict<R>(attempt: () => Promise<R>, maxAttempts = 5): Promise<R> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflict(err) || i >= maxAttempts) throw err;
    }
  }
}
