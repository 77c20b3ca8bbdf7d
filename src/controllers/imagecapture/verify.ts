// Once the image is available it is compared with what was asked, never trusting that the cloud applied
// everything on create: name, description, the tags on the image and on every snapshot (repaired with
// CreateTags), and the block device mappings against the instance's volumes and the user's overrides (a device
// the cloud dropped cannot be repaired: it is reported).
import type { ImageCapture } from '../../api/types.ts';
import { describeImages, type ImageInfo, type InstanceInfo } from '../../cloud/ec2.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';
import { normalizeDevice, volumesToCapture } from './mappings.ts';
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
export function expectedDevices(obj: ImageCapture, strategy: string | undefined, instance: InstanceInfo | undefined, captured: { deviceName: string; volumeId?: string; snapshotId?: string }[]): Expected {
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

export async function verifyImage(cloud: KindCloud, state: ImageCaptureState): Promise<VerifyResult> {
  const obj = state.obj;
  const imageId = state.status.imageId!;
  try {
    const [image] = await describeImages(cloud.gw, [imageId]);
    if (!image) return { differences: [`image ${imageId} is not listed by DescribeImages`], tags: { added: [], removed: [], applied: state.status.appliedTags ?? {} }, devices: 0 };
    // status.imageId is a hint: the image is re-tagged only if the cloud proves this capture made it, and of its
    // snapshots only those this capture made (status.snapshots proves nothing either).
    await ownImage(cloud, obj, imageId, image);
    const snapshots = await ownSnapshots(cloud, obj, image, true);
    const tags = await syncTags(cloud.gw, obj, [{ id: image.imageId, tags: image.tags }, ...snapshots.map((s) => ({ id: s.snapshotId, tags: s.tags ?? {} }))], state.status.appliedTags);
    const checkMappings = state.status.strategy === 'CreateImage' || state.status.strategy === 'Orchestrated';
    const instance = checkMappings && state.status.strategy === 'CreateImage' ? await state.instance(cloud).catch((e: unknown) => { if (e instanceof StallError) return undefined; throw e; }) : undefined;
    const expected = expectedDevices(obj, state.status.strategy, instance, state.status.snapshots ?? []);
    const differences = compareImage(obj, image, expected, checkMappings && (state.status.strategy === 'Orchestrated' || instance !== undefined));
    return { differences, tags, devices: expected.present.size };
  } catch (err) {
    throw outcomeOfCloudError(err, `verifying image ${imageId}`);
  }
}
