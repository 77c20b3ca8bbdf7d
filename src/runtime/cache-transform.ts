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
 * kubectl's last-applied copy, and keeps each repeated string once (see internStrings). Everything else (spec,
 * status, labels, other annotations, finalizers, owners) stays.
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
  return internStrings(obj);
}

// JSON decoding gives every string value its own copy: 10,000 finished captures hold 10,000 copies of
// "imaging.eucalyptus.dev/v1alpha1", of every condition type, reason and the messages steps repeat, of the
// CloudProfile's endpoint and so on, about a third of what a cached object weighs. The pool keeps one copy of
// each; it is emptied when full, so unique values (uids, timestamps) cannot grow it without bound: strings met
// after that are pooled again and the copies already shared stay shared.
const POOL_LIMIT = 16_384;
const INTERN_MAX_LENGTH = 512;
let pool = new Map<string, string>();

function intern(s: string): string {
  if (s.length > INTERN_MAX_LENGTH) return s;
  const shared = pool.get(s);
  if (shared !== undefined) return shared;
  if (pool.size >= POOL_LIMIT) pool = new Map();
  pool.set(s, s);
  return s;
}

/** Replaces every string value in a decoded JSON tree by its pooled copy, in place. */
export function internStrings<T>(value: T): T {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = internValue(value[i]);
  } else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k in o) o[k] = internValue(o[k]);
  }
  return value;
}

function internValue(v: unknown): unknown {
  return typeof v === 'string' ? intern(v) : internStrings(v);
}

/** Keeps every field (for callers that need managedFields, e.g. tests of field ownership). */
export const keepAllFields: CacheTransform = (obj) => obj;
