// What a capture leaves in the cloud when it ends early or is deleted. Everything it made carries its owner
// tag, so the look-up finds objects even when status never recorded them (a crash between create and write).
import { OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import type { ImageCapture } from '../../api/types.ts';
import { CloudError } from '../../cloud/errors.ts';
import {
  deleteSnapshot, deleteVolume, deregisterImage, describeImages, findImageByName, findImagesByOwner, findSnapshotsByOwner,
  findSnapshotsByDescription, findVolumesByOwner, orNotFound, terminateInstances, type ImageInfo,
} from '../../cloud/ec2.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import type { CleanupResult } from '../shared/step-reconciler.ts';
import { bootCheckInstances } from './boot-verify.ts';
import { ownSnapshots, proveImage, verifiedCall } from './ownership.ts';

export interface CleanupPlan {
  /** Deregister the image and delete its snapshots too (deletionPolicy Delete, or an image that cannot be trusted). */
  includeImage: boolean;
}


/**
 * Removes this capture's temporary objects (snapshots not behind a kept image, imported volumes) and, when the
 * plan says so, its image and the image's snapshots. Idempotent: a NotFound counts as done.
 */
export async function cleanUp(cloud: KindCloud, obj: ImageCapture, plan: CleanupPlan): Promise<CleanupResult> {
  const owner = ownerTagValue(obj);
  const deleted: string[] = [];
  const kept: string[] = [];
  // A boot verification's test instance never outlives its capture.
  const instances = await bootCheckInstances(cloud, obj);
  if (instances.length) {
    await terminateInstances(cloud.gw, instances);
    deleted.push(...instances);
  }
  const images = (await findImagesByOwner(cloud.gw, owner)).filter((i) => i.state !== 'deregistered');
  if (images.length === 0) {
    const untagged = await untaggedImageOf(cloud, obj);
    if (untagged) images.push(untagged);
  }
  const keptImages = plan.includeImage ? [] : images.filter((i) => i.state !== 'failed');
  const keptSnapshots = new Set(keptImages.flatMap((i) => i.blockDeviceMappings.map((m) => m.snapshotId).filter(Boolean)));
  for (const image of images) {
    if (keptImages.includes(image)) {
      kept.push(image.imageId);
      continue;
    }
    // Its snapshots that are ours (the cloud's CreateImage may have made some we never tagged); never one the
    // user named in spec.blockDeviceMappings, nor one status.snapshots named that this capture did not make.
    const own = await ownSnapshots(cloud, obj, image, false);
    await ignoreNotFound(() => deregisterImage(cloud.gw, image.imageId));
    deleted.push(image.imageId);
    for (const { snapshotId } of own) {
      if (keptSnapshots.has(snapshotId)) continue;
      await ignoreNotFound(() => deleteSnapshot(cloud.gw, snapshotId));
      deleted.push(snapshotId);
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
  for (const snap of await findSnapshotsByDescription(cloud.gw, `*(${owner})`)) {
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

/**
 * An image whose CreateTags never came (a failed call or a crash after the create call) carries no owner tag;
 * left out, its snapshots cannot be deleted (InUse) and deletion would retry forever. It is taken as ours only
 * with proof (ownership.ts): the id our signed creating call returned, or the cloud's match with a signed
 * checkpoint. status.imageId is a hint, and an image of our name someone else made is never deregistered. An
 * image the proof cannot decide yet (CreateImage still starting its snapshots) makes the deletion look again.
 */
async function untaggedImageOf(cloud: KindCloud, obj: ImageCapture): Promise<ImageInfo | undefined> {
  const signed = verifiedCall(cloud, obj, 'CreateImage')?.id ?? verifiedCall(cloud, obj, 'RegisterImage')?.id;
  if (signed) {
    const [image] = await orNotFound(describeImages(cloud.gw, [signed]), []);
    if (image && image.state !== 'deregistered' && !image.tags?.[OWNER_TAG]) return image;
  }
  if (!obj.status?.createCalls?.length) return undefined; // no creating call was ever recorded: it made no image
  const named = await findImageByName(cloud.gw, obj.spec.image.name);
  if (!named || named.state === 'deregistered' || named.tags?.[OWNER_TAG]) return undefined;
  const proof = await proveImage(cloud, obj, named);
  if (proof === 'undecided') throw new CloudError('retryable', 'ImageUndecided', `image ${named.imageId} has this capture's name and no snapshot yet: looking again`, 'DescribeImages');
  return proof === 'ours' ? named : undefined;
}

async function ignoreNotFound(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if ((err as { kind?: string }).kind !== 'notFound') throw err;
  }
}
