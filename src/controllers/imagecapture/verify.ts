// Once the image is available it is compared with what was asked, never trusting that the cloud applied
// everything on create: name, description, the tags on the image and on every snapshot (repaired with
// CreateTags), and the block device mappings against the instance's volumes and the user's overrides (a device
// the cloud dropped cannot be repaired: it is reported).
import type { ImageCapture } from '../../api/types.ts';
import { describeImages, describeSnapshots, orNotFound, type ImageInfo, type Tags } from '../../cloud/ec2.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';
import { normalizeDevice, volumesToCapture, type InstanceVolumes } from './mappings.ts';
import { ownImage, ownSnapshots } from './ownership.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import type { ImageCaptureState } from './state.ts';
import { syncTags, type TagSyncResult } from './tag-sync.ts';

export interface VerifyResult {
  differences: string[];
  tags: TagSyncResult;
  devices: number;
}

export interface Expected {
  /** Device → where its content comes from (for messages). */
  present: Map<string, string>;
  absent: Set<string>;
  /** Device → the snapshot it must map (the operator's own snapshots, and snapshots the user named). */
  snapshots: Map<string, string>;
}

/** Devices the image must have, each with where it comes from, and devices it must not have. */
export function expectedDevices(obj: ImageCapture, strategy: string | undefined, instance: InstanceVolumes | undefined, captured: { deviceName: string; volumeId?: string; snapshotId?: string }[]): Expected {
  const present = new Map<string, string>();
  const absent = new Set<string>();
  const snapshots = new Map<string, string>();
  const user = obj.spec.blockDeviceMappings ?? [];
  if (strategy === 'Orchestrated') {
    for (const c of captured) {
      present.set(normalizeDevice(c.deviceName), `snapshot ${c.snapshotId} of volume ${c.volumeId}`);
      if (c.snapshotId) snapshots.set(normalizeDevice(c.deviceName), c.snapshotId);
    }
  } else if (instance) {
    for (const v of volumesToCapture(instance, user, obj.spec.includeAttachedVolumes ?? true)) {
      present.set(v.deviceName, `volume ${v.volumeId}${v.isRoot ? ' (root)' : ''}`);
    }
  }
  for (const m of user) {
    const device = normalizeDevice(m.deviceName);
    if (m.noDevice) {
      present.delete(device);
      absent.add(device);
    } else if (m.virtualName) {
      present.set(device, `spec.blockDeviceMappings ${m.virtualName}`);
    } else if (m.ebs?.snapshotId || m.ebs?.volumeSize) {
      present.set(device, `spec.blockDeviceMappings ${m.ebs.snapshotId ?? `new ${m.ebs.volumeSize} GiB volume`}`);
      if (m.ebs.snapshotId) snapshots.set(device, m.ebs.snapshotId);
    }
  }
  return { present, absent, snapshots };
}

export function compareImage(obj: ImageCapture, image: ImageInfo, expected: Expected, checkMappings: boolean): string[] {
  const out: string[] = [];
  if (image.name !== obj.spec.image.name) out.push(`name is '${image.name ?? ''}', asked '${obj.spec.image.name}'`);
  const desc = obj.spec.image.description;
  if (desc !== undefined && (image.description ?? '') !== desc) out.push(`description is '${image.description ?? ''}', asked '${desc}'`);
  if (!checkMappings) return out;
  const have = new Map(image.blockDeviceMappings.map((m) => [normalizeDevice(m.deviceName), m]));
  for (const [device, from] of expected.present) {
    const got = have.get(device);
    if (!got) out.push(`device ${device} (${from}) is missing from the image`);
    else if (expected.snapshots.has(device) && got.snapshotId !== expected.snapshots.get(device)) {
      out.push(`device ${device} maps ${got.snapshotId ?? 'no snapshot'}, not ${expected.snapshots.get(device)}`);
    }
  }
  for (const device of expected.absent) if (have.has(device)) out.push(`device ${device} is in the image although spec.blockDeviceMappings suppresses it (noDevice)`);
  return out;
}

/**
 * The image as the poll that saw it available described it (or one DescribeImages when no poll did, as for an
 * edit of a finished capture), the snapshots' tags as the snapshot poll saw them or as this pass wrote them
 * (one DescribeSnapshots only for those known neither way), the instance as validation recorded it.
 */
export async function verifyImage(cloud: KindCloud, state: ImageCaptureState): Promise<VerifyResult> {
  const obj = state.obj;
  const imageId = state.status.imageId!;
  try {
    const polled = state.availableImage?.imageId === imageId ? state.availableImage : undefined;
    const image = polled ?? (await describeImages(cloud.gw, [imageId]))[0];
    if (!image) return { differences: [`image ${imageId} is not listed by DescribeImages`], tags: { added: [], removed: [], applied: state.status.appliedTags ?? {} }, devices: 0 };
    // status.imageId is a hint: the image is re-tagged only if the cloud proves this capture made it, and of its
    // snapshots only those this capture made (status.snapshots proves nothing either). Tags this pass wrote
    // count: they were written only after that proof.
    const imageTags = { ...image.tags, ...(state.written.get(image.imageId) ?? {}) };
    await ownImage(cloud, state.current, imageId, { ...image, tags: imageTags });
    const own = await ownSnapshots(cloud, state.current, image, false);
    const known = own.map((s) => {
      const seen = polled ? cloud.snapshots.get(s.snapshotId) : undefined;
      const read = s.tags ?? (seen && !('notFound' in seen) ? seen.tags : undefined);
      const written = state.written.get(s.snapshotId);
      return { id: s.snapshotId, tags: read || written ? { ...(read ?? {}), ...(written ?? {}) } as Tags : undefined };
    });
    const unknown = known.filter((k) => !k.tags).map((k) => k.id);
    const described = unknown.length ? await orNotFound(describeSnapshots(cloud.gw, unknown), []) : [];
    const tags = await syncTags(cloud.gw, obj, [
      { id: image.imageId, tags: imageTags },
      ...known.filter((k) => k.tags).map((k) => ({ id: k.id, tags: k.tags! })),
      ...described.map((s) => ({ id: s.snapshotId, tags: s.tags ?? {} })),
    ], state.status.appliedTags);
    const checkMappings = state.status.strategy === 'CreateImage' || state.status.strategy === 'Orchestrated';
    const instance = checkMappings && state.status.strategy === 'CreateImage' ? await state.source(cloud).catch((e: unknown) => { if (e instanceof StallError) return undefined; throw e; }) : undefined;
    const expected = expectedDevices(obj, state.status.strategy, instance, state.status.snapshots ?? []);
    const differences = compareImage(obj, image, expected, checkMappings && (state.status.strategy === 'Orchestrated' || instance !== undefined));
    return { differences, tags, devices: expected.present.size };
  } catch (err) {
    throw outcomeOfCloudError(err, `verifying image ${imageId}`);
  }
}
