// Whether an image belongs to this capture, decided from the cloud alone. Status fields are hints for look-ups,
// never proof: a user who can write status could name another team's image there. An image is ours when it
// carries our owner tag, or — for the crash window between a creating call and its tags — when it is untagged,
// the capture had passed the checkpoint written before anything was created, and the image is what that call
// would have made: for Orchestrated, its snapshots are this capture's own (owner tag, or the description only
// its CreateSnapshot writes); for CreateImage, its root snapshot was taken of this instance's root volume after
// the checkpoint. Anything else with our name is someone else's: never adopted, re-tagged or deleted.
import { OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import type { ImageCapture } from '../../api/types.ts';
import { describeInstance, describeSnapshots, type ImageInfo } from '../../cloud/ec2.ts';
import type { KindCloud } from '../shared/cloud-context.ts';

export type Proof = 'ours' | 'notOurs' | 'undecided';

/**
 * Images this process saw its own CreateImage/RegisterImage return, by resource uid: the recorded creating call
 * itself, which no status write can forge. Kept in memory only (a restart falls back to the cloud's proof);
 * bounded, oldest first out.
 */
const created = new Map<string, string>();
const REMEMBERED = 10_000;

export function rememberCreated(obj: ImageCapture, imageId: string): void {
  const key = `${obj.metadata.uid}/${imageId}`;
  created.delete(key);
  created.set(key, imageId);
  if (created.size > REMEMBERED) created.delete(created.keys().next().value!);
}

/** Kubernetes timestamps have second precision; clocks of cloud and cluster differ a little. */
const CLOCK_SLACK_MS = 5_000;

export async function proveImage(cloud: KindCloud, obj: ImageCapture, image: ImageInfo): Promise<Proof> {
  const owner = ownerTagValue(obj);
  if (image.tags?.[OWNER_TAG] === owner) return 'ours';
  if (image.tags?.[OWNER_TAG]) return 'notOurs';
  if (created.has(`${obj.metadata.uid}/${image.imageId}`)) return 'ours';
  // Nothing is created before the validation checkpoint (strategy and startedAt written): an untagged image
  // of a capture that never got there is not its own.
  const strategy = obj.status?.strategy;
  const checkpoint = obj.status?.startedAt ? Date.parse(obj.status.startedAt) : NaN;
  if (!strategy || Number.isNaN(checkpoint) || image.name !== obj.spec.image.name) return 'notOurs';
  const userSnapshots = new Set((obj.spec.blockDeviceMappings ?? []).map((m) => m.ebs?.snapshotId).filter(Boolean));
  const ids = image.blockDeviceMappings.map((m) => m.snapshotId).filter((id): id is string => !!id && !userSnapshots.has(id));
  if (ids.length === 0) {
    // The cloud's CreateImage lists the snapshots once it has started them: look again shortly.
    return strategy === 'CreateImage' && image.state === 'pending' ? 'undecided' : 'notOurs';
  }
  const snapshots = await describeSnapshots(cloud.gw, ids).catch((err: unknown) => {
    if ((err as { kind?: string }).kind === 'notFound') return [];
    throw err;
  });
  if (strategy === 'Orchestrated') {
    const mine = (s: { tags?: Record<string, string>; description?: string }) => s.tags?.[OWNER_TAG] === owner || (s.description ?? '').endsWith(`(${owner})`);
    return snapshots.length === ids.length && snapshots.every(mine) ? 'ours' : 'notOurs';
  }
  const rootName = image.rootDeviceName;
  const rootSnapshotId = (image.blockDeviceMappings.find((m) => m.deviceName === rootName) ?? image.blockDeviceMappings.find((m) => m.snapshotId))?.snapshotId;
  const root = snapshots.find((s) => s.snapshotId === rootSnapshotId);
  if (!root?.volumeId) return 'notOurs';
  let rootVolume: string | undefined;
  try {
    const instance = await describeInstance(cloud.gw, obj.spec.instanceId);
    rootVolume = instance?.volumes.find((v) => v.deviceName === instance.rootDeviceName)?.volumeId;
  } catch {
    rootVolume = undefined;
  }
  if (!rootVolume || root.volumeId !== rootVolume) return 'notOurs';
  const started = root.startTime?.getTime();
  return started !== undefined && started >= checkpoint - CLOCK_SLACK_MS ? 'ours' : 'notOurs';
}
