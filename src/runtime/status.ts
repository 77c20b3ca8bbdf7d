// Writes the controller makes to its own resources: status through the status subresource, and finalizers
// through JSON patches guarded by a `test` of the resourceVersion, so a concurrent change fails (409/422)
// instead of being overwritten; the caller re-reads and retries.
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

type JsonPatchOp =
  | { op: 'test' | 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/**
 * Merge-patch `status` into the object's status subresource. No resourceVersion precondition: the controller is
 * the only status writer; the caller sets `observedGeneration`. Fields set to null are removed.
 */
export async function patchStatus<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  ref: ObjectRef,
  status: Record<string, unknown> | object,
): Promise<T> {
  return kubeRequest<T>(kubeConfig, 'PATCH', resourcePath(ref, 'status'), {
    body: { status },
    contentType: CONTENT_TYPE.mergePatch,
  });
}

export async function getObject<T extends KubernetesObject>(kubeConfig: KubeConfig, ref: ObjectRef): Promise<T> {
  return kubeRequest<T>(kubeConfig, 'GET', resourcePath(ref));
}

function refOf(kind: KindRef, obj: KubernetesObject): ObjectRef {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  return { ...kind, namespace: obj.metadata?.namespace, name };
}

function resourceVersionTest(obj: KubernetesObject): JsonPatchOp {
  const rv = obj.metadata?.resourceVersion;
  if (!rv) throw new Error('object has no metadata.resourceVersion: read it from the server first');
  return { op: 'test', path: '/metadata/resourceVersion', value: rv };
}

/** The JSON patch that adds `finalizer` to `obj` as read at its resourceVersion, or null if already present. */
export function addFinalizerPatch(obj: KubernetesObject, finalizer: string): JsonPatchOp[] | null {
  const finalizers = obj.metadata?.finalizers;
  if (finalizers?.includes(finalizer)) return null;
  const test = resourceVersionTest(obj);
  return finalizers
    ? [test, { op: 'add', path: '/metadata/finalizers/-', value: finalizer }]
    : [test, { op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
}

/** The JSON patch that removes `finalizer` from `obj` as read at its resourceVersion, or null if absent. */
export function removeFinalizerPatch(obj: KubernetesObject, finalizer: string): JsonPatchOp[] | null {
  const index = obj.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (index < 0) return null;
  return [
    resourceVersionTest(obj),
    { op: 'test', path: `/metadata/finalizers/${index}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ];
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
    contentType: CONTENT_TYPE.jsonPatch,
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
    contentType: CONTENT_TYPE.jsonPatch,
  });
}

function messageOf(err: unknown): string {
  const e = err as { message?: unknown; body?: { message?: unknown } } | null;
  return `${String(e?.body?.message ?? '')} ${String(e?.message ?? '')}`;
}

/** A write lost a race: 409 Conflict, or 422 from a failed JSON patch `test` op. */
export function isConflict(err: unknown): boolean {
  const code = statusCodeOf(err);
  if (code === 409) return true;
  return code === 422 && /test(ing value)?.*failed|test operation/i.test(messageOf(err));
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
