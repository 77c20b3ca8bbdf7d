// Whether an image (and which of its snapshots) belongs to this capture, decided from the cloud and from the
// creating calls the operator signed into status (shared/create-calls.ts). Other status fields are hints for
// look-ups, never proof: a user who can write status could name another team's image there. An image is ours when
// it carries our owner tag, when it is the id our signed CreateImage/RegisterImage returned, or — for the crash
// window between a creating call and the write of its result — when it is untagged, carries our name, a signed
// checkpoint says the call was about to be made, and the image is what that call would have made: for
// RegisterImage (Orchestrated), its snapshots are this capture's own (owner tag, or the description only its
// CreateSnapshot writes); for CreateImage, its root snapshot was taken of this instance's root volume after the
// checkpoint. Anything else is someone else's: never adopted, tagged, shared or deleted.
import { OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import type { ImageCapture } from '../../api/types.ts';
import { describeImages, describeInstance, describeSnapshots, orNotFound, type ImageInfo, type SnapshotInfo } from '../../cloud/ec2.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import { CLOCK_SLACK_MS, type VerifiedCall } from '../shared/create-calls.ts';
import { StallError, WaitError } from '../shared/outcomes.ts';

export type Proof = 'ours' | 'notOurs' | 'undecided';
export type CaptureCall = 'CreateImage' | 'RegisterImage';

/** The call that makes the image under a strategy. */
export function imageCall(strategy: string | undefined): CaptureCall {
  return strategy === 'Orchestrated' ? 'RegisterImage' : 'CreateImage';
}

/** What a capture's creating calls are signed over besides uid and time: the immutable spec that shapes the image. */
export function callParams(obj: ImageCapture): string[] {
  return [obj.spec.instanceId, obj.spec.image.name];
}

/** The signed record of a creating call of this capture, if the operator wrote it. */
export function verifiedCall(cloud: KindCloud, obj: ImageCapture, call: CaptureCall): VerifiedCall | undefined {
  return cloud.createCalls.verified({ obj, status: obj.status ?? {} }, call, callParams(obj));
}

function userSnapshots(obj: ImageCapture): Set<string> {
  return new Set((obj.spec.blockDeviceMappings ?? []).map((m) => m.ebs?.snapshotId).filter((x): x is string => !!x));
}

/** A snapshot this capture's Orchestrated step made: owner tag, or the description only that step writes. */
export function madeBySnapshotStep(obj: ImageCapture, s: Pick<SnapshotInfo, 'tags' | 'description'>): boolean {
  const owner = ownerTagValue(obj);
  return s.tags?.[OWNER_TAG] === owner || (s.description ?? '').endsWith(`(${owner})`);
}

export async function proveImage(cloud: KindCloud, obj: ImageCapture, image: ImageInfo): Promise<Proof> {
  const owner = ownerTagValue(obj);
  if (image.tags?.[OWNER_TAG] === owner) return 'ours';
  if (image.tags?.[OWNER_TAG]) return 'notOurs';
  const create = verifiedCall(cloud, obj, 'CreateImage');
  const register = verifiedCall(cloud, obj, 'RegisterImage');
  if (create?.id === image.imageId || register?.id === image.imageId) return 'ours';
  // The crash window: a call recorded as about to be made whose result was never written.
  if (image.name !== obj.spec.image.name || (!(register && !register.id) && !(create && !create.id))) return 'notOurs';
  const mine = userSnapshots(obj);
  const ids = image.blockDeviceMappings.map((m) => m.snapshotId).filter((id): id is string => !!id && !mine.has(id));
  if (ids.length === 0) {
    // The cloud's CreateImage lists the snapshots once it has started them: look again shortly.
    return create && !create.id && image.state === 'pending' ? 'undecided' : 'notOurs';
  }
  const snapshots = await orNotFound(describeSnapshots(cloud.gw, ids), []);
  if (register && !register.id && snapshots.length === ids.length && snapshots.every((s) => madeBySnapshotStep(obj, s))) return 'ours';
  if (create && !create.id) return (await fromThisInstanceSince(cloud, obj, image, snapshots, create.at)) ? 'ours' : 'notOurs';
  return 'notOurs';
}

/** CreateImage's proof: the image's root snapshot was taken of this instance's root volume after the checkpoint. */
async function fromThisInstanceSince(cloud: KindCloud, obj: ImageCapture, image: ImageInfo, snapshots: SnapshotInfo[], since: Date): Promise<boolean> {
  const rootSnapshotId = (image.blockDeviceMappings.find((m) => m.deviceName === image.rootDeviceName) ?? image.blockDeviceMappings.find((m) => m.snapshotId))?.snapshotId;
  const root = snapshots.find((s) => s.snapshotId === rootSnapshotId);
  if (!root?.volumeId) return false;
  const instance = await describeInstance(cloud.gw, obj.spec.instanceId).catch(() => undefined);
  const rootVolume = instance?.volumes.find((v) => v.deviceName === instance.rootDeviceName)?.volumeId;
  const started = root.startTime?.getTime();
  return !!rootVolume && root.volumeId === rootVolume && started !== undefined && started >= since.getTime() - CLOCK_SLACK_MS;
}

/**
 * The snapshots of an image this capture may tag or delete: never those the user named in spec.blockDeviceMappings;
 * all others when the image is the one our signed CreateImage or RegisterImage returned (the cloud made them for
 * that call, or they are the snapshots register checked as this capture's before sending it; moto's RegisterImage
 * copies the root snapshot); otherwise only those its Orchestrated step made. With `describe`, every snapshot
 * returned carries its tags (one DescribeSnapshots).
 */
export async function ownSnapshots(cloud: KindCloud, obj: ImageCapture, image: ImageInfo, describe: boolean): Promise<Array<{ snapshotId: string; tags?: SnapshotInfo['tags'] }>> {
  const mine = userSnapshots(obj);
  const ids = [...new Set(image.blockDeviceMappings.map((m) => m.snapshotId).filter((id): id is string => !!id && !mine.has(id)))];
  if (ids.length === 0) return [];
  const signedResult = verifiedCall(cloud, obj, 'CreateImage')?.id === image.imageId || verifiedCall(cloud, obj, 'RegisterImage')?.id === image.imageId;
  if (signedResult && !describe) return ids.map((snapshotId) => ({ snapshotId }));
  const snapshots = await orNotFound(describeSnapshots(cloud.gw, ids), []);
  return signedResult ? snapshots : snapshots.filter((s) => madeBySnapshotStep(obj, s));
}

export function notOwned(obj: ImageCapture, imageId: string): StallError {
  return new StallError('ImageNotOwned', `status.imageId names image ${imageId}, which this capture cannot prove it made (no owner tag ${ownerTagValue(obj)}, not the result of its signed creating call, not built from its snapshots): the operator does not touch it; delete this ImageCapture (nothing in the cloud is removed for it) and create a new one`);
}

/**
 * The image status.imageId names, proven ours before anything acts on it (tags, launch permissions, boot
 * verification). `seen` is what a poller already knows of it (no extra call when it carries our owner tag).
 * Undefined when the cloud no longer lists it.
 */
export async function ownImage(cloud: KindCloud, obj: ImageCapture, imageId: string, seen?: ImageInfo): Promise<ImageInfo | undefined> {
  const image = seen ?? (await orNotFound(describeImages(cloud.gw, [imageId]), []))[0];
  if (!image) return undefined;
  const proof = await proveImage(cloud, obj, image);
  if (proof === 'undecided') throw new WaitError('WaitingForImage', `image ${imageId} has no snapshot yet: looking again before acting on it`, 5_000);
  if (proof === 'notOurs') throw notOwned(obj, imageId);
  return image;
}

/** Whether status.imageId names an image of this capture (false when it is gone or someone else's). */
export async function ownsImage(cloud: KindCloud, obj: ImageCapture, imageId: string): Promise<boolean> {
  const [image] = await orNotFound(describeImages(cloud.gw, [imageId]), []);
  return !!image && (await proveImage(cloud, obj, image)) === 'ours';
}
