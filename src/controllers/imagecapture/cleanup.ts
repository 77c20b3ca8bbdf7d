// What a capture leaves in the cloud when it ends early or is deleted. Everything it made carries its owner
// tag, so the look-up finds objects even when status never recorded them (a crash between create and write).
import { ownerTagValue } from '../../api/constants.ts';
import type { ImageCapture } from '../../api/types.ts';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { deleteSnapshot, deleteVolume, deregisterImage, findImagesByOwner, findSnapshotsByOwner, findVolumesByOwner, toSnapshotInfo } from '../../cloud/ec2.ts';
import type { CloudContext } from './ports.ts';

export interface CleanupPlan {
  /** Deregister the image and delete its snapshots too (deletionPolicy Delete, or an image that cannot be trusted). */
  includeImage: boolean;
}

export interface CleanupResult {
  deleted: string[];
  kept: string[];
}

/**
 * Removes this capture's temporary objects (snapshots not behind a kept image, imported volumes) and, when the
 * plan says so, its image and the image's snapshots. Idempotent: a NotFound counts as done.
 */
export async function cleanUp(cloud: CloudContext, obj: ImageCapture, plan: CleanupPlan): Promise<CleanupResult> {
  const owner = ownerTagValue(obj);
  const deleted: string[] = [];
  const kept: string[] = [];
  const images = (await findImagesByOwner(cloud.gw, owner)).filter((i) => i.state !== 'deregistered');
  const keptImages = plan.includeImage ? [] : images.filter((i) => i.state !== 'failed');
  const keptSnapshots = new Set(keptImages.flatMap((i) => i.blockDeviceMappings.map((m) => m.snapshotId).filter(Boolean)));
  for (const image of images) {
    if (keptImages.includes(image)) {
      kept.push(image.imageId);
      continue;
    }
    await ignoreNotFound(() => deregisterImage(cloud.gw, image.imageId));
    deleted.push(image.imageId);
    // The cloud's CreateImage may have made snapshots we never tagged: they are the image's, so they go too.
    for (const m of image.blockDeviceMappings) {
      if (m.snapshotId && !keptSnapshots.has(m.snapshotId)) {
        await ignoreNotFound(() => deleteSnapshot(cloud.gw, m.snapshotId!));
        deleted.push(m.snapshotId);
      }
    }
  }
  for (const snap of await findSnapshotsByOwner(cloud.gw, owner)) {
    if (keptSnapshots.has(snap.snapshotId)) {
      kept.push(snap.snapshotId);
      continue;
    }
    if (deleted.includes(snap.snapshotId)) continue;
    await ignoreNotFound(() => deleteSnapshot(cloud.gw, snap.snapshotId));
    deleted.push(snap.snapshotId);
  }
  // A snapshot whose CreateTags never came (a failed call, then deletion) carries the owner only in its
  // description (`<image> <device> (<owner>)`, written by the Orchestrated step).
  const untagged = await cloud.gw.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'description', Values: [`*(${owner})`] }] }));
  for (const snap of (untagged.Snapshots ?? []).map(toSnapshotInfo)) {
    if (keptSnapshots.has(snap.snapshotId) || deleted.includes(snap.snapshotId)) continue;
    await ignoreNotFound(() => deleteSnapshot(cloud.gw, snap.snapshotId));
    deleted.push(snap.snapshotId);
  }
  for (const vol of await findVolumesByOwner(cloud.gw, owner)) {
    await ignoreNotFound(() => deleteVolume(cloud.gw, vol.volumeId));
    deleted.push(vol.volumeId);
  }
  return { deleted, kept };
}

async function ignoreNotFound(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if ((err as { kind?: string }).kind !== 'notFound') throw err;
  }
}
