// Launch permissions of a registered image brought into line with the spec: entries the spec lists are granted,
// entries this resource granted earlier and the spec no longer lists are revoked; grants made by others stay.
import { describeLaunchPermissions, modifyLaunchPermissions } from '../../cloud/ec2.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';
import type { Reason } from '../../api/reasons.ts';

export interface LaunchPermissionSync {
  granted: string[];
  revoked: string[];
  /** What to record as status.launchPermissions. */
  applied: string[];
}

export function sameSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());
}

export async function syncLaunchPermissions(gw: CloudGateway, imageId: string, wanted: readonly string[] | undefined, previouslyApplied: readonly string[] | undefined): Promise<LaunchPermissionSync> {
  const desired = [...new Set(wanted ?? [])].sort();
  const current = new Set(await describeLaunchPermissions(gw, imageId));
  const granted = desired.filter((w) => !current.has(w));
  const revoked = (previouslyApplied ?? []).filter((p) => !desired.includes(p) && current.has(p));
  if (granted.length || revoked.length) await modifyLaunchPermissions(gw, imageId, granted, revoked);
  return { granted, revoked, applied: desired };
}

/** At deletion with Retain and revokeLaunchPermissionsOnDeletion: revoke what this resource granted. */
export async function revokeLaunchPermissions(gw: CloudGateway, imageId: string, applied: readonly string[] | undefined): Promise<string[]> {
  if (!applied?.length) return [];
  let current: Set<string>;
  try {
    current = new Set(await describeLaunchPermissions(gw, imageId));
  } catch (err) {
    // An image already gone has nothing left to revoke.
    if ((err as { kind?: string }).kind === 'notFound') return [];
    throw err;
  }
  const revoke = applied.filter((p) => current.has(p));
  if (revoke.length) await modifyLaunchPermissions(gw, imageId, [], revoke);
  return revoke;
}

export function describePermissions(list: readonly string[]): string {
  return list.map((p) => (p === 'all' ? 'all (public)' : `account ${p}`)).join(', ');
}

export interface PermissionTarget {
  step(type: 'LaunchPermissionsApplied', status: 'True' | 'False', reason: Reason, message: string): void;
  status: { launchPermissions?: string[] };
}

/**
 * Applies the spec's launch permissions to an available image and records the outcome in the
 * LaunchPermissionsApplied condition and status.launchPermissions. The cloud refusing a grant is reported there
 * (the image stays available); throttling and outages are rethrown for the work queue's backoff.
 */
export async function applyLaunchPermissions(gw: CloudGateway, imageId: string, wanted: readonly string[] | undefined, target: PermissionTarget, notify: (message: string) => void): Promise<void> {
  if (!wanted?.length && !target.status.launchPermissions?.length) return;
  try {
    const r = await syncLaunchPermissions(gw, imageId, wanted, target.status.launchPermissions);
    target.status.launchPermissions = r.applied;
    const now = r.applied.length ? `launchable by ${describePermissions(r.applied)}` : 'private: no launch permissions granted';
    target.step('LaunchPermissionsApplied', 'True', 'Succeeded', `image ${imageId} is ${now}`);
    const changes = [r.granted.length && `granted ${describePermissions(r.granted)}`, r.revoked.length && `revoked ${describePermissions(r.revoked)}`].filter(Boolean);
    if (changes.length) notify(`image ${imageId}: ${changes.join('; ')}`);
  } catch (err) {
    const kind = (err as { kind?: string }).kind;
    if (kind !== 'terminal' && kind !== 'notFound') throw err;
    target.step('LaunchPermissionsApplied', 'False', 'CloudRejected', `ModifyImageAttribute on ${imageId} was refused: ${(err as Error).message}; check spec.launchPermissions`);
  }
}

/**
 * Deletion with deletionPolicy Retain and revokeLaunchPermissionsOnDeletion: the retained image loses the grants
 * this resource made before the rest of the cleanup runs.
 */
export async function revokeOnRetain(
  gw: CloudGateway,
  state: { obj: { spec: { revokeLaunchPermissionsOnDeletion?: boolean } }; status: { imageId?: string; launchPermissions?: string[] } },
  policy: 'Retain' | 'Delete',
  notify: (message: string) => void,
): Promise<void> {
  const imageId = state.status.imageId;
  if (policy !== 'Retain' || !state.obj.spec.revokeLaunchPermissionsOnDeletion || !imageId) return;
  const revoked = await revokeLaunchPermissions(gw, imageId, state.status.launchPermissions);
  if (revoked.length) notify(`image ${imageId} is retained; revoked launch permissions of ${revoked.join(', ')}`);
}
