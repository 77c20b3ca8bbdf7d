// Steps shared by every strategy once an image exists: adopt an image this capture already made, tag it and its
// snapshots, and wait for it to become available.
import { OWNER_TAG, STEP_TAG, ownerTagValue } from '../../api/constants.ts';
import type { ImageCapture } from '../../api/types.ts';
import { createTags, findImageByName, findImagesByOwner, type ImageInfo } from '../../cloud/ec2.ts';
import { CloudError } from '../../cloud/errors.ts';
import { outcomeOfCloudError, StallError, WaitError } from '../shared/outcomes.ts';
import { ownImage, ownSnapshots, proveImage } from './ownership.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import type { ImageCaptureState } from './state.ts';
import type { StepResult } from '../shared/step-reconciler.ts';

export function ownerTags(obj: ImageCapture, step: string): Record<string, string> {
  return { ...(obj.spec.image.tags ?? {}), [OWNER_TAG]: ownerTagValue(obj), [STEP_TAG]: step };
}

/**
 * An image this capture created earlier: by owner tag, or an untagged one of our name that the cloud proves we
 * made (the crash window between the create call and the tag call, see ownership.ts). An untagged image of our
 * name without that proof was registered by someone else while this capture ran: it is neither adopted nor
 * touched, and the capture stalls.
 */
export async function adoptImage(cloud: KindCloud, obj: ImageCapture): Promise<ImageInfo | undefined> {
  let named: ImageInfo | undefined;
  try {
    const tagged = (await findImagesByOwner(cloud.gw, ownerTagValue(obj))).find((i) => i.state !== 'deregistered');
    if (tagged) return tagged;
    named = await findImageByName(cloud.gw, obj.spec.image.name);
    if (!named || named.state === 'deregistered') return undefined;
    const proof = await proveImage(cloud, obj, named);
    if (proof === 'ours') return named;
    if (proof === 'undecided') throw new WaitError('WaitingForImage', `image ${named.imageId} has our name and no snapshot yet: looking again before adopting it`, 5_000);
  } catch (err) {
    throw outcomeOfCloudError(err, 'looking for an image made by this capture');
  }
  throw new StallError('DuplicateImageName', `an image named "${obj.spec.image.name}" (${named.imageId}) appeared in this account that this capture did not make `
    + '(no owner tag, and not built from this capture\'s snapshots): it is left untouched; delete this ImageCapture and create one with another spec.image.name');
}

/** CreateTags overwrites, so tagging again after a crash is harmless. */
export async function tagObjects(cloud: KindCloud, obj: ImageCapture, ids: string[], step: string): Promise<void> {
  if (ids.length === 0) return;
  try {
    await createTags(cloud.gw, ids, ownerTags(obj, step));
  } catch (err) {
    throw outcomeOfCloudError(err, `tagging ${ids.join(', ')}`);
  }
}

/**
 * The cloud's CreateImage makes the snapshots itself (untagged on clouds without TagSpecifications): once the
 * poll sees the image available, its mappings name them. They are recorded in status, and the image (unless it
 * already carries our tags) and the new snapshots get the user's and the owner tags in one CreateTags. The image
 * is proven ours first (status.imageId is only a hint), and of its snapshots only those the cloud made for our
 * call are touched.
 */
export async function adoptCloudSnapshots(cloud: KindCloud, state: ImageCaptureState, image: ImageInfo): Promise<void> {
  const known = (id: string) => (state.status.snapshots ?? []).some((s) => s.snapshotId === id);
  if (image.blockDeviceMappings.every((m) => !m.snapshotId || known(m.snapshotId))) return;
  await ownImage(cloud, state.current, image.imageId, image);
  const own = new Set((await ownSnapshots(cloud, state.current, image, false)).map((s) => s.snapshotId));
  const fresh = image.blockDeviceMappings.filter((m) => m.snapshotId && own.has(m.snapshotId) && !known(m.snapshotId));
  if (fresh.length === 0) return;
  const tags = ownerTags(state.obj, 'create-image');
  const imageTagged = Object.entries(tags).every(([k, v]) => k === STEP_TAG || image.tags[k] === v);
  const ids = [...(imageTagged ? [] : [image.imageId]), ...fresh.map((m) => m.snapshotId!)];
  await tagObjects(cloud, state.obj, ids, 'create-image');
  for (const id of ids) state.written.set(id, tags);
  for (const m of fresh) {
    const s = state.snapshot(m.deviceName);
    s.snapshotId = m.snapshotId;
    s.state = 'completed';
    s.progress = 100;
  }
}

/** The cloud refused a create because an image of this name exists: perhaps ours, from a call whose answer was lost. */
export function isDuplicateName(err: unknown): boolean {
  return err instanceof CloudError && err.code === 'InvalidAMIName.Duplicate';
}

export interface ImageWait {
  done: boolean;
  image?: ImageInfo;
}

/** Follows the image through the batched poller until it is available; a failed image stalls the capture. */
export function waitForImage(cloud: KindCloud, state: ImageCaptureState): ImageWait {
  const imageId = state.status.imageId!;
  cloud.images.watch(imageId, state.key);
  const seen = cloud.images.get(imageId);
  if (!seen) return { done: false };
  if ('notFound' in seen) {
    throw new StallError('ImageDeregistered', `image ${imageId} no longer exists in the cloud (deregistered outside the operator?): delete and re-create this ImageCapture to capture again`);
  }
  if (seen.state === 'failed' || seen.state === 'deregistered') {
    throw new StallError(seen.state === 'failed' ? 'ImageFailed' : 'ImageDeregistered', `image ${imageId} is ${seen.state}${seen.stateReason ? `: ${seen.stateReason}` : ''}`);
  }
  if (seen.state === 'available') state.availableImage = seen;
  return { done: seen.state === 'available', image: seen };
}

/** The last step of every snapshot-based strategy: follow the registered image until it is available. */
export function followRegisteredImage(cloud: KindCloud, state: ImageCaptureState): StepResult | undefined {
  if (waitForImage(cloud, state).done) return undefined;
  state.status.progress = Math.max(state.status.progress ?? 0, 90);
  state.reconciling('WaitingForImage', `waiting for image ${state.status.imageId} to become available`);
  return {};
}
