// The EC2 operations the controllers use, each one call of intent over gateway.send, returning normalized
// shapes so controllers never see a cloud dialect.
import {
  BundleInstanceCommand, CancelBundleTaskCommand, CreateImageCommand,
  CreateSnapshotCommand, CreateTagsCommand, DeleteTagsCommand, DeleteSnapshotCommand, DeleteVolumeCommand, DeregisterImageCommand,
  DescribeBundleTasksCommand, DescribeImageAttributeCommand, DescribeImagesCommand, DescribeInstancesCommand,
  DescribeSnapshotsCommand, DescribeVolumesCommand, RebootInstancesCommand,
  ModifyImageAttributeCommand, RegisterImageCommand, type LaunchPermission,
  type BlockDeviceMapping as SdkBlockDeviceMapping, type BundleTask, type Filter, type Image,
  type Instance, type Snapshot, type Tag, type TagSpecification, type Volume, type ResourceType, type ArchitectureValues,
} from '@aws-sdk/client-ec2';
import { OWNER_TAG } from '../api/constants.ts';
import type { BlockDeviceMapping } from '../api/types.ts';
import type { CloudGateway } from './gateway.ts';
import {
  normalizeBundleState, normalizeImageState, normalizeSnapshotState, parseProgress,
  type BundleState, type ImageState, type SnapshotState,
} from './states.ts';

export type Tags = Record<string, string>;

export interface InstanceVolume {
  deviceName: string;
  volumeId: string;
  deleteOnTermination: boolean;
  sizeGiB?: number;
}

export interface InstanceInfo {
  instanceId: string;
  ownerId?: string;
  state: string;
  rootDeviceType: 'ebs' | 'instance-store';
  rootDeviceName?: string;
  platform: 'linux' | 'windows';
  architecture?: string;
  availabilityZone?: string;
  volumes: InstanceVolume[];
}

export interface SnapshotInfo {
  snapshotId: string;
  volumeId?: string;
  state: SnapshotState;
  /** The cloud's own word (`failed`, `error`, ...), for messages. */
  rawState?: string;
  progress?: number;
  ownerId?: string;
  description?: string;
  volumeSizeGiB?: number;
  stateMessage?: string;
  tags: Tags;
}

export interface ImageBlockDevice {
  deviceName: string;
  snapshotId?: string;
  volumeSizeGiB?: number;
  deleteOnTermination?: boolean;
  virtualName?: string;
}

export interface ImageInfo {
  imageId: string;
  name?: string;
  description?: string;
  state: ImageState;
  rawState?: string;
  ownerId?: string;
  rootDeviceType?: string;
  rootDeviceName?: string;
  imageLocation?: string;
  stateReason?: string;
  blockDeviceMappings: ImageBlockDevice[];
  tags: Tags;
}

export interface BundleTaskInfo {
  bundleId: string;
  instanceId?: string;
  state: BundleState;
  rawState?: string;
  progress?: number;
  bucket?: string;
  prefix?: string;
  /** `<bucket>/<prefix>.manifest.xml`: what RegisterImage takes as ImageLocation. */
  manifestLocation?: string;
  error?: { code?: string; message?: string };
}

export interface VolumeInfo {
  volumeId: string;
  sizeGiB?: number;
  state?: string;
  snapshotId?: string;
  availabilityZone?: string;
  attachments: Array<{ instanceId?: string; device?: string; state?: string }>;
  tags: Tags;
}

export function toSdkTags(tags: Tags): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function fromSdkTags(tags: Tag[] | undefined): Tags {
  const out: Tags = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

function tagSpec(resourceType: ResourceType, tags: Tags | undefined): TagSpecification[] | undefined {
  if (!tags || Object.keys(tags).length === 0) return undefined;
  return [{ ResourceType: resourceType, Tags: toSdkTags(tags) }];
}

function numberOf(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  return undefined;
}

export function toSdkBlockDeviceMappings(bdms: BlockDeviceMapping[] | undefined): SdkBlockDeviceMapping[] | undefined {
  if (!bdms || bdms.length === 0) return undefined;
  return bdms.map((m) => {
    const out: SdkBlockDeviceMapping = { DeviceName: m.deviceName };
    if (m.noDevice) out.NoDevice = '';
    if (m.virtualName) out.VirtualName = m.virtualName;
    if (m.ebs) {
      out.Ebs = {
        ...(m.ebs.snapshotId !== undefined ? { SnapshotId: m.ebs.snapshotId } : {}),
        ...(m.ebs.volumeSize !== undefined ? { VolumeSize: m.ebs.volumeSize } : {}),
        ...(m.ebs.volumeType !== undefined ? { VolumeType: m.ebs.volumeType as never } : {}),
        ...(m.ebs.deleteOnTermination !== undefined ? { DeleteOnTermination: m.ebs.deleteOnTermination } : {}),
      };
    }
    return out;
  });
}

function toInstanceInfo(i: Instance, sizes: Map<string, number>): InstanceInfo {
  const volumes: InstanceVolume[] = [];
  for (const b of i.BlockDeviceMappings ?? []) {
    if (!b.DeviceName || !b.Ebs?.VolumeId) continue;
    const size = sizes.get(b.Ebs.VolumeId);
    volumes.push({
      deviceName: b.DeviceName,
      volumeId: b.Ebs.VolumeId,
      deleteOnTermination: b.Ebs.DeleteOnTermination ?? false,
      ...(size !== undefined ? { sizeGiB: size } : {}),
    });
  }
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'unknown',
    rootDeviceType: i.RootDeviceType === 'ebs' ? 'ebs' : 'instance-store',
    // Eucalyptus omits platform for Linux (emptyToNull); EC2 says `windows` or nothing.
    platform: (i.Platform ?? '').toLowerCase() === 'windows' ? 'windows' : 'linux',
    volumes,
    ...(i.RootDeviceName ? { rootDeviceName: i.RootDeviceName } : {}),
    ...(i.Architecture ? { architecture: i.Architecture } : {}),
    ...(i.Placement?.AvailabilityZone ? { availabilityZone: i.Placement.AvailabilityZone } : {}),
  };
}

export function toSnapshotInfo(s: Snapshot): SnapshotInfo {
  const progress = parseProgress(s.Progress);
  const size = numberOf(s.VolumeSize);
  return {
    snapshotId: s.SnapshotId ?? '',
    state: normalizeSnapshotState(s.State),
    tags: fromSdkTags(s.Tags),
    ...(s.State ? { rawState: s.State } : {}),
    ...(s.VolumeId ? { volumeId: s.VolumeId } : {}),
    ...(progress !== undefined ? { progress } : {}),
    ...(s.OwnerId ? { ownerId: s.OwnerId } : {}),
    ...(s.Description ? { description: s.Description } : {}),
    ...(size !== undefined ? { volumeSizeGiB: size } : {}),
    ...(s.StateMessage ? { stateMessage: s.StateMessage } : {}),
  };
}

export function toImageInfo(im: Image): ImageInfo {
  return {
    imageId: im.ImageId ?? '',
    state: normalizeImageState(im.State),
    tags: fromSdkTags(im.Tags),
    blockDeviceMappings: (im.BlockDeviceMappings ?? []).filter((b) => b.DeviceName).map((b) => ({
      deviceName: b.DeviceName!,
      ...(b.Ebs?.SnapshotId ? { snapshotId: b.Ebs.SnapshotId } : {}),
      ...(b.Ebs?.VolumeSize !== undefined ? { volumeSizeGiB: b.Ebs.VolumeSize } : {}),
      ...(b.Ebs?.DeleteOnTermination !== undefined ? { deleteOnTermination: b.Ebs.DeleteOnTermination } : {}),
      ...(b.VirtualName ? { virtualName: b.VirtualName } : {}),
    })),
    ...(im.Name ? { name: im.Name } : {}),
    ...(im.Description ? { description: im.Description } : {}),
    ...(im.State ? { rawState: im.State } : {}),
    ...(im.OwnerId ? { ownerId: im.OwnerId } : {}),
    ...(im.RootDeviceType ? { rootDeviceType: im.RootDeviceType } : {}),
    ...(im.RootDeviceName ? { rootDeviceName: im.RootDeviceName } : {}),
    ...(im.ImageLocation ? { imageLocation: im.ImageLocation } : {}),
    ...(im.StateReason?.Message ? { stateReason: im.StateReason.Message } : {}),
  };
}

export function toBundleTaskInfo(t: BundleTask): BundleTaskInfo {
  const progress = parseProgress(t.Progress);
  const bucket = t.Storage?.S3?.Bucket;
  const prefix = t.Storage?.S3?.Prefix;
  return {
    bundleId: t.BundleId ?? '',
    state: normalizeBundleState(t.State),
    ...(t.State ? { rawState: t.State } : {}),
    ...(t.InstanceId ? { instanceId: t.InstanceId } : {}),
    ...(progress !== undefined ? { progress } : {}),
    ...(bucket ? { bucket } : {}),
    ...(prefix ? { prefix } : {}),
    ...(bucket && prefix ? { manifestLocation: `${bucket}/${prefix}.manifest.xml` } : {}),
    ...(t.BundleTaskError && (t.BundleTaskError.Code || t.BundleTaskError.Message)
      ? { error: { ...(t.BundleTaskError.Code ? { code: t.BundleTaskError.Code } : {}),
        ...(t.BundleTaskError.Message ? { message: t.BundleTaskError.Message } : {}) } }
      : {}),
  };
}

function toVolumeInfo(v: Volume): VolumeInfo {
  return {
    volumeId: v.VolumeId ?? '',
    tags: fromSdkTags(v.Tags),
    attachments: (v.Attachments ?? []).map((a) => ({
      ...(a.InstanceId ? { instanceId: a.InstanceId } : {}),
      ...(a.Device ? { device: a.Device } : {}),
      ...(a.State ? { state: a.State } : {}),
    })),
    ...(v.Size !== undefined ? { sizeGiB: v.Size } : {}),
    ...(v.State ? { state: v.State } : {}),
    ...(v.SnapshotId ? { snapshotId: v.SnapshotId } : {}),
    ...(v.AvailabilityZone ? { availabilityZone: v.AvailabilityZone } : {}),
  };
}

const ownerFilter = (ownerTag: string): Filter[] => [{ Name: `tag:${OWNER_TAG}`, Values: [ownerTag] }];

/** A not-found answer for a lookup by id means "gone": callers get undefined/[] instead of an error. */
async function orNotFound<T>(p: Promise<T>, fallback: T): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if ((err as { kind?: string }).kind === 'notFound') return fallback;
    throw err;
  }
}

// ------------------------------------------------------------------ instances

/** The instance with its attached EBS volumes and their sizes (one DescribeVolumes for all); undefined if gone. */
export async function describeInstance(gw: CloudGateway, instanceId: string): Promise<InstanceInfo | undefined> {
  const out = await orNotFound(gw.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })), undefined);
  const inst = out?.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  if (!inst) return undefined;
  const volumeIds = (inst.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v);
  const sizes = new Map<string, number>();
  if (volumeIds.length > 0) {
    for (const v of await describeVolumes(gw, volumeIds)) if (v.sizeGiB !== undefined) sizes.set(v.volumeId, v.sizeGiB);
  }
  const info = toInstanceInfo(inst, sizes);
  if (out?.Reservations?.[0]?.OwnerId) info.ownerId = out.Reservations[0].OwnerId;
  return info;
}

/** Many instances in one call, without volume sizes (for the instance poller). */
export async function describeInstances(gw: CloudGateway, ids: string[]): Promise<InstanceInfo[]> {
  if (ids.length === 0) return [];
  const out = await gw.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => {
    const info = toInstanceInfo(i, new Map());
    if (r.OwnerId) info.ownerId = r.OwnerId;
    return info;
  }));
}

/**
 * Ids of the running or stopped instances carrying every tag (values may use EC2's * and ? wildcards), in one
 * DescribeInstances call.
 */
export async function findInstancesByTags(gw: CloudGateway, tags: Tags): Promise<string[]> {
  const filters: Filter[] = [
    ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
    { Name: 'instance-state-name', Values: ['running', 'stopped'] },
  ];
  const out = await gw.send(new DescribeInstancesCommand({ Filters: filters }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId).filter((id): id is string => !!id).sort();
}

export async function rebootInstance(gw: CloudGateway, instanceId: string): Promise<void> {
  await gw.send(new RebootInstancesCommand({ InstanceIds: [instanceId] }));
}

// ------------------------------------------------------------------ tags

export async function createTags(gw: CloudGateway, resourceIds: string[], tags: Tags): Promise<void> {
  if (resourceIds.length === 0 || Object.keys(tags).length === 0) return;
  await gw.send(new CreateTagsCommand({ Resources: resourceIds, Tags: toSdkTags(tags) }));
}

/** Removes the given tag keys (whatever their value) from the resources. */
export async function deleteTags(gw: CloudGateway, resourceIds: string[], keys: string[]): Promise<void> {
  if (resourceIds.length === 0 || keys.length === 0) return;
  await gw.send(new DeleteTagsCommand({ Resources: resourceIds, Tags: keys.map((Key) => ({ Key })) }));
}

function tagOnCreate(gw: CloudGateway, override: boolean | undefined): boolean {
  return override ?? gw.capabilities?.tagOnCreate ?? false;
}

// ------------------------------------------------------------------ snapshots

export interface CreateSnapshotInput {
  volumeId: string;
  description?: string;
  tags?: Tags;
  /** Default: the gateway's capabilities; Eucalyptus rejects TagSpecifications, so tags follow the create. */
  tagOnCreate?: boolean;
}

export async function createSnapshot(gw: CloudGateway, input: CreateSnapshotInput): Promise<SnapshotInfo> {
  const inline = tagOnCreate(gw, input.tagOnCreate);
  const out = await gw.send(new CreateSnapshotCommand({
    VolumeId: input.volumeId,
    ...(input.description ? { Description: input.description } : {}),
    ...(inline ? { TagSpecifications: tagSpec('snapshot', input.tags) } : {}),
  }));
  if (!out.SnapshotId) throw new Error(`CreateSnapshot for ${input.volumeId} answered without a snapshot id`);
  if (!inline && input.tags) await createTags(gw, [out.SnapshotId], input.tags);
  return toSnapshotInfo({ ...out, Tags: out.Tags ?? (input.tags ? toSdkTags(input.tags) : undefined) });
}

export async function describeSnapshots(gw: CloudGateway, ids: string[]): Promise<SnapshotInfo[]> {
  if (ids.length === 0) return [];
  const out = await gw.send(new DescribeSnapshotsCommand({ SnapshotIds: ids }));
  return (out.Snapshots ?? []).map(toSnapshotInfo);
}

export async function findSnapshotsByOwner(gw: CloudGateway, ownerTag: string): Promise<SnapshotInfo[]> {
  const out = await gw.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: ownerFilter(ownerTag) }));
  return (out.Snapshots ?? []).map(toSnapshotInfo);
}

/** The account's snapshots of one volume (adoption of a snapshot whose tags never arrived). */
export async function findSnapshotsOfVolume(gw: CloudGateway, volumeId: string): Promise<SnapshotInfo[]> {
  const out = await gw.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [volumeId] }] }));
  return (out.Snapshots ?? []).map(toSnapshotInfo);
}

/** Deleting a snapshot that is already gone succeeds. */
export async function deleteSnapshot(gw: CloudGateway, snapshotId: string): Promise<void> {
  await orNotFound(gw.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })), undefined);
}

// ------------------------------------------------------------------ images

export interface CreateImageInput {
  instanceId: string;
  name: string;
  description?: string;
  noReboot?: boolean;
  blockDeviceMappings?: BlockDeviceMapping[];
  tags?: Tags;
  tagOnCreate?: boolean;
}

/** The new image id, or undefined when the cloud answered without one (Eucalyptus 3.3's CreateImage stub). */
export async function createImage(gw: CloudGateway, input: CreateImageInput): Promise<string | undefined> {
  const inline = tagOnCreate(gw, input.tagOnCreate);
  const out = await gw.send(new CreateImageCommand({
    InstanceId: input.instanceId,
    Name: input.name,
    ...(input.description ? { Description: input.description } : {}),
    ...(input.noReboot !== undefined ? { NoReboot: input.noReboot } : {}),
    ...(input.blockDeviceMappings?.length ? { BlockDeviceMappings: toSdkBlockDeviceMappings(input.blockDeviceMappings) } : {}),
    ...(inline ? { TagSpecifications: tagSpec('image', input.tags) } : {}),
  }));
  const imageId = out.ImageId?.trim() || undefined;
  if (imageId && !inline && input.tags) await createTags(gw, [imageId], input.tags);
  return imageId;
}

export interface RegisterImageInput {
  name: string;
  description?: string;
  architecture?: string;
  /** Instance-store (bundle) form: `<bucket>/<prefix>.manifest.xml`. */
  imageLocation?: string;
  /** EBS form: the root device and a mapping on it with `ebs.snapshotId`. */
  rootDeviceName?: string;
  blockDeviceMappings?: BlockDeviceMapping[];
  kernelId?: string;
  ramdiskId?: string;
  virtualizationType?: string;
  tags?: Tags;
  tagOnCreate?: boolean;
}

export async function registerImage(gw: CloudGateway, input: RegisterImageInput): Promise<string> {
  const inline = tagOnCreate(gw, input.tagOnCreate);
  const out = await gw.send(new RegisterImageCommand({
    Name: input.name,
    ...(input.description ? { Description: input.description } : {}),
    ...(input.architecture ? { Architecture: input.architecture as ArchitectureValues } : {}),
    ...(input.imageLocation ? { ImageLocation: input.imageLocation } : {}),
    ...(input.rootDeviceName ? { RootDeviceName: input.rootDeviceName } : {}),
    ...(input.blockDeviceMappings?.length ? { BlockDeviceMappings: toSdkBlockDeviceMappings(input.blockDeviceMappings) } : {}),
    ...(input.kernelId ? { KernelId: input.kernelId } : {}),
    ...(input.ramdiskId ? { RamdiskId: input.ramdiskId } : {}),
    ...(input.virtualizationType ? { VirtualizationType: input.virtualizationType } : {}),
    ...(inline ? { TagSpecifications: tagSpec('image', input.tags) } : {}),
  }));
  if (!out.ImageId) throw new Error(`RegisterImage ${input.name} answered without an image id`);
  if (!inline && input.tags) await createTags(gw, [out.ImageId], input.tags);
  return out.ImageId;
}

export async function describeImages(gw: CloudGateway, ids: string[]): Promise<ImageInfo[]> {
  if (ids.length === 0) return [];
  const out = await gw.send(new DescribeImagesCommand({ ImageIds: ids }));
  return (out.Images ?? []).map(toImageInfo);
}

export async function findImagesByOwner(gw: CloudGateway, ownerTag: string): Promise<ImageInfo[]> {
  const out = await gw.send(new DescribeImagesCommand({ Owners: ['self'], Filters: ownerFilter(ownerTag) }));
  return (out.Images ?? []).map(toImageInfo);
}

/** The account's image with this name (a live one preferred over a failed or deregistered one). */
export async function findImageByName(gw: CloudGateway, name: string): Promise<ImageInfo | undefined> {
  const out = await gw.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }));
  const images = (out.Images ?? []).map(toImageInfo).filter((i) => i.name === name);
  return images.find((i) => i.state === 'available' || i.state === 'pending') ?? images[0];
}

/** Who besides the owner may launch the image: account ids, and `all` when it is public. */
export async function describeLaunchPermissions(gw: CloudGateway, imageId: string): Promise<string[]> {
  const out = await gw.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
  return (out.LaunchPermissions ?? []).map((p) => (p.Group === 'all' ? 'all' : p.UserId)).filter((x): x is string => !!x).sort();
}

/** One ModifyImageAttribute adding and removing launch permissions (`all` is the public group). */
export async function modifyLaunchPermissions(gw: CloudGateway, imageId: string, add: string[], remove: string[]): Promise<void> {
  const item = (who: string): LaunchPermission => (who === 'all' ? { Group: 'all' } : { UserId: who });
  await gw.send(new ModifyImageAttributeCommand({
    ImageId: imageId,
    LaunchPermission: { ...(add.length ? { Add: add.map(item) } : {}), ...(remove.length ? { Remove: remove.map(item) } : {}) },
  }));
}

/** Deregistering an image that is already gone succeeds. */
export async function deregisterImage(gw: CloudGateway, imageId: string): Promise<void> {
  await orNotFound(gw.send(new DeregisterImageCommand({ ImageId: imageId })), undefined);
}

// ------------------------------------------------------------------ bundle tasks

export interface BundleInstanceInput {
  instanceId: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  /** The policy JSON text; the SDK base64-encodes the blob on the wire. */
  uploadPolicy: string;
  /** base64(HMAC-SHA1(secret, base64(policy))): see upload-policy.ts. */
  signature: string;
}

export async function bundleInstance(gw: CloudGateway, input: BundleInstanceInput): Promise<BundleTaskInfo> {
  const out = await gw.send(new BundleInstanceCommand({
    InstanceId: input.instanceId,
    Storage: {
      S3: {
        Bucket: input.bucket,
        Prefix: input.prefix,
        AWSAccessKeyId: input.accessKeyId,
        UploadPolicy: Buffer.from(input.uploadPolicy, 'utf8'),
        UploadPolicySignature: input.signature,
      },
    },
  }));
  if (!out.BundleTask?.BundleId) throw new Error(`BundleInstance for ${input.instanceId} answered without a bundle id`);
  return toBundleTaskInfo(out.BundleTask);
}

export async function describeBundleTasks(gw: CloudGateway, ids: string[]): Promise<BundleTaskInfo[]> {
  if (ids.length === 0) return [];
  const out = await gw.send(new DescribeBundleTasksCommand({ BundleIds: ids }));
  return (out.BundleTasks ?? []).map(toBundleTaskInfo);
}

export async function cancelBundleTask(gw: CloudGateway, bundleId: string): Promise<BundleTaskInfo | undefined> {
  const out = await gw.send(new CancelBundleTaskCommand({ BundleId: bundleId }));
  return out.BundleTask ? toBundleTaskInfo(out.BundleTask) : undefined;
}

// ------------------------------------------------------------------ volumes

export async function describeVolumes(gw: CloudGateway, ids: string[]): Promise<VolumeInfo[]> {
  if (ids.length === 0) return [];
  const out = await orNotFound(gw.send(new DescribeVolumesCommand({ VolumeIds: ids })), { Volumes: [], $metadata: {} });
  return (out.Volumes ?? []).map(toVolumeInfo);
}

export async function findVolumesByOwner(gw: CloudGateway, ownerTag: string): Promise<VolumeInfo[]> {
  const out = await gw.send(new DescribeVolumesCommand({ Filters: ownerFilter(ownerTag) }));
  return (out.Volumes ?? []).map(toVolumeInfo);
}

/** Deleting a volume that is already gone succeeds. */
export async function deleteVolume(gw: CloudGateway, volumeId: string): Promise<void> {
  await orNotFound(gw.send(new DeleteVolumeCommand({ VolumeId: volumeId })), undefined);
}
