// What an informer keeps of each object, like controller-runtime's cache TransformFunc: the cache holds one copy of
// every watched object for the life of the process, so the parts no controller reads are dropped as each list page
// or watch event is decoded, before the object is stored or handed to handlers. Safe because the operator never
// writes a cached object back whole: its writes are merge patches of the fields they change (status.ts).
import type { KubernetesObject } from '@kubernetes/client-node';

export type CacheTransform = <T extends KubernetesObject>(obj: T) => T;

/** kubectl apply's copy of the whole applied manifest: as large as the spec again, never read by the operator. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The default transform: drops metadata.managedFields (who set which field, often larger than the object) and
 * kubectl's last-applied copy. Everything else (spec, status, labels, other annotations, finalizers, owners) stays.
 */
export function stripUnreadFields<T extends KubernetesObject>(obj: T): T {
  const meta = obj.metadata;
  if (!meta) return obj;
  if (meta.managedFields) delete meta.managedFields;
  const annotations = meta.annotations;
  if (annotations && LAST_APPLIED_ANNOTATION in annotations) {
    delete annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(annotations).length === 0) delete meta.annotations;
  }
  return obj;
}

/** Keeps every field (for callers that need managedFields, e.g. tests of field ownership). */
export const keepAllFields: CacheTransform = (obj) => obj;
