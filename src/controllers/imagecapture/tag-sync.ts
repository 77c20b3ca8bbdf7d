// The tags an image and its snapshots should carry (the user's spec.image.tags and the owner tag), brought into
// line with what the cloud shows: missing or changed tags are written, and a tag this capture put there earlier
// but the user has since removed from the spec is deleted. Tags the capture never put there are left alone.
import { OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import type { ImageCapture } from '../../api/types.ts';
import { createTags, deleteTags, type Tags } from '../../cloud/ec2.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';

export interface TaggedObject {
  id: string;
  tags: Tags;
}

export interface TagSyncResult {
  /** Objects whose tags were written (`<id>: key, key`). */
  added: string[];
  /** Objects a tag was removed from (`<id>: key`). */
  removed: string[];
  /** The user tags now applied, to be recorded in status.appliedTags. */
  applied: Tags;
}

export function desiredTags(obj: ImageCapture): Tags {
  return { ...(obj.spec.image.tags ?? {}), [OWNER_TAG]: ownerTagValue(obj) };
}

/**
 * `previouslyApplied` is status.appliedTags: the user tags this capture wrote before. Objects that need the same
 * tags written share one CreateTags call.
 */
export async function syncTags(gw: CloudGateway, obj: ImageCapture, objects: TaggedObject[], previouslyApplied: Tags | undefined): Promise<TagSyncResult> {
  const desired = desiredTags(obj);
  const added: string[] = [];
  const removed: string[] = [];
  const writes = new Map<string, { tags: Tags; ids: string[] }>();
  const deletes = new Map<string, { keys: string[]; ids: string[] }>();
  for (const o of objects) {
    const missing = Object.fromEntries(Object.entries(desired).filter(([k, v]) => o.tags[k] !== v));
    if (Object.keys(missing).length) {
      const key = JSON.stringify(missing);
      const w = writes.get(key) ?? { tags: missing, ids: [] };
      w.ids.push(o.id);
      writes.set(key, w);
      added.push(`${o.id}: ${Object.keys(missing).join(', ')}`);
    }
    // Only keys this capture wrote, still carrying the value it wrote (a value changed by someone else is theirs).
    const stale = Object.entries(previouslyApplied ?? {})
      .filter(([k, v]) => !(k in desired) && o.tags[k] === v)
      .map(([k]) => k);
    if (stale.length) {
      const key = JSON.stringify(stale);
      const d = deletes.get(key) ?? { keys: stale, ids: [] };
      d.ids.push(o.id);
      deletes.set(key, d);
      removed.push(`${o.id}: ${stale.join(', ')}`);
    }
  }
  for (const w of writes.values()) await createTags(gw, w.ids, w.tags);
  for (const d of deletes.values()) await deleteTags(gw, d.ids, d.keys);
  return { added, removed, applied: { ...(obj.spec.image.tags ?? {}) } };
}

export function sameTags(a: Tags | undefined, b: Tags | undefined): boolean {
  const x = Object.entries(a ?? {}).sort();
  const y = Object.entries(b ?? {}).sort();
  return JSON.stringify(x) === JSON.stringify(y);
}
