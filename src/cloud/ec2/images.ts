// Images: created from an instance, registered from snapshots or a bundle manifest, described, found by owner
// tag or name, their launch permissions read and changed, deregistered.
import {
  CreateImageCommand, DeregisterImageCommand, DescribeImageAttributeCommand, DescribeImagesCommand, ModifyImageAttributeCommand,
  RegisterImageCommand, type ArchitectureValues, type BlockDeviceMapping as SdkBlockDeviceMapping, type Image, type LaunchPermission,
} from '../ec2-sdk.ts';
import type { BlockDeviceMapping } from '../../api/types.ts';
import type { CloudGateway } from '../gateway.ts';
import { normalizeImageState, type ImageState } from '../states.ts';
import { fromSdkTags, orNotFound, ownerFilter, tagCreated, tagOnCreate, tagSpec, type Tags } from './shapes.ts';
import { createTags } from './tags.ts';

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
  if (imageId && !inline && input.tags) await tagCreated(imageId, () => createTags(gw, [imageId], input.tags!));
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
  const imageId = out.ImageId;
  if (!inline && input.tags) await tagCreated(imageId, () => createTags(gw, [imageId], input.tags!));
  return imageId;
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
