// Whether a bundle task or an image belongs to this InstanceBundle. A bundle task cannot carry tags, so it is ours
// only as the id our signed BundleInstance returned (shared/create-calls.ts), or — for the crash window between the
// call and the write of its id — a task of this instance, bucket and prefix started after the signed checkpoint
// written before the call. An image is ours with our owner tag, as the id our signed RegisterImage returned, or in
// its crash window: untagged, our name, our manifest location, with the signed checkpoint. status.bundleId and
// status.imageId are hints: a user who can write status could name another team's task or image there.
import { OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import type { InstanceBundle } from '../../api/types.ts';
import { describeImages, orNotFound, type ImageInfo } from '../../cloud/ec2.ts';
import { manifestKey } from '../shared/bundle-objects.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import { CLOCK_SLACK_MS, type VerifiedCall } from '../shared/create-calls.ts';
import { StallError } from '../shared/outcomes.ts';
import type { InstanceBundleState } from './state.ts';

/** What BundleInstance is signed over besides uid and time: the immutable target of the task. */
export function taskParams(obj: InstanceBundle): string[] {
  return [obj.spec.instanceId, obj.spec.storage.bucket, obj.spec.storage.prefix];
}

/** What RegisterImage is signed over: the target (which fixes the manifest location) and the image name. */
export function imageParams(obj: InstanceBundle): string[] {
  return [...taskParams(obj), obj.spec.register?.name ?? ''];
}

type Owned = Pick<InstanceBundleState, 'obj' | 'status'>;

export function signedTask(cloud: KindCloud, state: Owned): VerifiedCall | undefined {
  return cloud.createCalls.verified(state, 'BundleInstance', taskParams(state.obj));
}

export function signedImage(cloud: KindCloud, state: Owned): VerifiedCall | undefined {
  return cloud.createCalls.verified(state, 'RegisterImage', imageParams(state.obj));
}

/** Complete or running tasks started before this are not ours (the checkpoint is written before BundleInstance). */
export function tasksNotBefore(call: VerifiedCall): Date {
  return new Date(call.at.getTime() - CLOCK_SLACK_MS);
}

/** The task status.bundleId names, if it is the one our signed BundleInstance returned; a stall otherwise. */
export function requireOwnTask(cloud: KindCloud, state: Owned): string {
  const id = state.status.bundleId!;
  if (signedTask(cloud, state)?.id !== id) {
    throw new StallError('BundleNotOwned', `status.bundleId names bundle task ${id}, which this InstanceBundle did not start (not the result of its signed BundleInstance): the operator neither follows, cancels nor deletes anything for it; delete this InstanceBundle and create a new one`);
  }
  return id;
}

/** The manifest this bundle's task writes. */
export function manifestLocation(obj: InstanceBundle): string {
  return `${obj.spec.storage.bucket}/${manifestKey(obj.spec.storage.prefix)}`;
}

/** An image of this bundle: owner tag, the signed RegisterImage result, or its crash window (see the header). */
export function isOwnImage(cloud: KindCloud, state: Owned, image: ImageInfo): boolean {
  const tag = image.tags?.[OWNER_TAG];
  if (tag) return tag === ownerTagValue(state.obj);
  const signed = signedImage(cloud, state);
  if (!signed) return false;
  if (signed.id) return signed.id === image.imageId;
  return image.name === state.obj.spec.register?.name && image.imageLocation === manifestLocation(state.obj);
}

/** The image status.imageId names, proven ours before anything acts on it; undefined when the cloud no longer lists it. */
export async function ownImage(cloud: KindCloud, state: Owned, imageId: string): Promise<ImageInfo | undefined> {
  const [image] = await orNotFound(describeImages(cloud.gw, [imageId]), []);
  if (image && !isOwnImage(cloud, state, image)) {
    throw new StallError('ImageNotOwned', `status.imageId names image ${imageId}, which this InstanceBundle cannot prove it registered (no owner tag ${ownerTagValue(state.obj)}, not the result of its signed RegisterImage): the operator does not touch it; delete this InstanceBundle and create a new one`);
  }
  return image;
}
