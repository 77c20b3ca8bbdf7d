// CreateImage (3.3 stub; 3.4+/aws real), RegisterImage (bundle manifest or EBS snapshot), DescribeImages,
// DeregisterImage. Rules from ImageManager/Images (Eucalyptus 3.4.2) and the EC2 API reference.
import { SimError } from '../errors.ts';
import { matchFilters } from '../filters.ts';
import { readManifest } from '../bundle-manifest.ts';
import type { BlockDeviceMapping, Image, Instance, Snapshot } from '../model.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import {
  type ActionDef, type Ec2Context, applyTagSpecifications, findImage, findInstance, findSnapshot, tagSet,
  validateTagSpecifications,
} from './context.ts';

function checkNameAndDescription(ctx: Ec2Context, name: string, description: string | undefined): void {
  const profile = ctx.state.profile;
  if (!profile.imageNamePattern.test(name)) {
    throw new SimError('InvalidAMIName.Malformed', profile.eucalyptus
      ? "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'"
      : "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/', '[', ']', ' ', '@', ''' and '_'");
  }
  if (description !== undefined && description.length > 255) {
    throw new SimError(profile.eucalyptus ? 'InvalidParameter' : 'InvalidParameterValue',
      'AMI descriptions must be less than 256 characters long');
  }
  for (const image of ctx.state.images.values()) {
    if (image.ownerId === ctx.account.accountId && image.name === name && (image.state === 'available' || image.state === 'pending')) {
      throw new SimError('InvalidAMIName.Duplicate', profile.eucalyptus
        ? `AMI name ${name} is already in use by EMI ${image.id}`
        : `AMI name ${name} is already in use by AMI ${image.id}`);
    }
  }
}

function newImage(ctx: Ec2Context, fields: Partial<Image> & Pick<Image, 'name' | 'rootDeviceType' | 'rootDeviceName'>): Image {
  const image: Image = {
    id: ctx.state.ids.next(ctx.state.profile.imagePrefix),
    ownerId: ctx.account.accountId,
    description: '',
    state: 'pending',
    architecture: 'x86_64',
    imageType: 'machine',
    imageLocation: '',
    virtualizationType: 'paravirtual',
    blockDeviceMappings: [],
    isPublic: false,
    launchPermissions: new Set(),
    creationDate: new Date(),
    tags: new Map(),
    ...fields,
  };
  ctx.state.images.set(image.id, image);
  return image;
}

/** The image's mappings: root and every attached volume, then the user's mappings override by device. */
function captureMappings(ctx: Ec2Context, instance: Instance, user: BlockDeviceMapping[]): { bdms: BlockDeviceMapping[]; volumes: Map<string, string> } {
  const byDevice = new Map<string, BlockDeviceMapping>();
  const volumes = new Map<string, string>();
  for (const a of instance.attachments) {
    const vol = ctx.state.volumes.get(a.volumeId);
    if (!vol) continue;
    byDevice.set(a.device, { deviceName: a.device, ebs: { volumeSize: vol.size, deleteOnTermination: a.deleteOnTermination, volumeType: 'standard' } });
    volumes.set(a.device, vol.id);
  }
  for (const u of user) {
    if (u.noDevice) {
      byDevice.delete(u.deviceName);
      volumes.delete(u.deviceName);
      continue;
    }
    const existing = byDevice.get(u.deviceName);
    byDevice.set(u.deviceName, existing?.ebs && u.ebs ? { ...existing, ebs: { ...existing.ebs, ...u.ebs } } : u);
  }
  return { bdms: [...byDevice.values()], volumes };
}

function validateUserMappings(ctx: Ec2Context, user: BlockDeviceMapping[], rootDevice: string): void {
  for (const u of user) {
    if (u.deviceName === rootDevice) {
      throw new SimError('InvalidBlockDeviceMapping', 'The device names should not contain root device');
    }
    if (!/^\/dev\/[a-z0-9]+$/.test(u.deviceName) || (u.noDevice && (u.ebs || u.virtualName))
      || (u.virtualName && !/^ephemeral\d+$/.test(u.virtualName))) {
      throw new SimError('InvalidBlockDeviceMapping', 'A block device mapping parameter is not valid');
    }
    if (u.ebs?.snapshotId) findSnapshot(ctx, u.ebs.snapshotId);
  }
}

function createImage(ctx: Ec2Context): XmlObject {
  const instanceId = ctx.params.require('InstanceId');
  const name = ctx.params.require('Name');
  const description = ctx.params.get('Description');
  const profile = ctx.state.profile;
  checkNameAndDescription(ctx, name, description);
  const instance = findInstance(ctx, instanceId);
  // Eucalyptus 3.3 validated and then returned an empty reply: no image, no imageId.
  if (profile.createImage === 'stub') return {};
  validateTagSpecifications(ctx, ['image', 'snapshot']);
  if (instance.rootDeviceType !== 'ebs') {
    throw new SimError('InvalidParameterValue', 'Cannot create an image from an instance which is not booted from an EBS volume');
  }
  if (instance.state !== 'running' && instance.state !== 'stopped') {
    throw new SimError('IncorrectInstanceState', `Cannot create an image from an instance which is not in either the 'running' or 'stopped' state: ${instance.id} is in state ${instance.state}`);
  }
  const user = ctx.params.blockDeviceMappings();
  validateUserMappings(ctx, user, instance.rootDeviceName);
  // A stopped instance is never rebooted (CreateImageTask forces NoReboot).
  const noReboot = (ctx.params.bool('NoReboot') ?? false) || instance.state === 'stopped';
  if (!noReboot) {
    instance.rebootCount++;
    ctx.state.recordEvent('reboot', instance.id, 'CreateImage');
  }
  const captured = captureMappings(ctx, instance, user);
  const rootOnly = ctx.state.faults.take('rootOnlyCreateImage', 'CreateImage') !== undefined;
  const bdms = rootOnly ? captured.bdms.filter((b) => b.deviceName === instance.rootDeviceName) : captured.bdms;
  const volumes = captured.volumes;
  const image = newImage(ctx, {
    name, description: description ?? '', rootDeviceType: 'ebs', rootDeviceName: instance.rootDeviceName,
    architecture: instance.architecture, ...(instance.platform ? { platform: instance.platform } : {}),
    blockDeviceMappings: bdms, sourceInstanceId: instance.id,
  });
  applyTagSpecifications(ctx, 'image', image.tags);
  const snapshots: Snapshot[] = [];
  for (const bdm of bdms) {
    const volumeId = volumes.get(bdm.deviceName);
    const volume = volumeId ? ctx.state.volumes.get(volumeId) : undefined;
    if (!volume || !bdm.ebs || bdm.ebs.snapshotId) continue;
    const snap = ctx.state.createSnapshot(volume, ctx.account.accountId,
      `Created by CreateImage(${instance.id}) for ${image.id} from ${volume.id}`, 'CreateImage');
    applyTagSpecifications(ctx, 'snapshot', snap.tags);
    bdm.ebs.snapshotId = snap.id;
    snapshots.push(snap);
  }
  const failImage = ctx.state.faults.take('failImage', 'CreateImage') !== undefined;
  const due = Math.max(Date.now(), ...snapshots.map((s) => s.dueAt)) + ctx.state.duration('imageMs');
  ctx.state.scheduler.at(due, () => {
    if (image.state !== 'pending') return;
    const failed = failImage || snapshots.some((s) => s.status !== 'completed');
    image.state = failed ? 'failed' : 'available';
    if (failed) ctx.state.recordEvent('image-failed', image.id, failImage ? 'injected fault' : 'snapshot failed');
  });
  return { imageId: image.id };
}

function registerImage(ctx: Ec2Context): XmlObject {
  const profile = ctx.state.profile;
  const name = ctx.params.require('Name');
  const description = ctx.params.get('Description');
  checkNameAndDescription(ctx, name, description);
  const architecture = ctx.params.get('Architecture');
  const archChoices = profile.eucalyptus ? ['i386', 'x86_64', 'other'] : ['i386', 'x86_64', 'arm64'];
  if (architecture !== undefined && !archChoices.includes(architecture)) {
    throw new SimError('InvalidParameterValue', `Value (${architecture}) for parameter architecture is invalid. Expected: ${archChoices.join(', ')}`);
  }
  const virt = (ctx.params.get('VirtualizationType') ?? 'paravirtual').toLowerCase();
  if (virt !== 'paravirtual' && virt !== 'hvm') throw new SimError('InvalidParameterValue', `Unknown virtualization-type: ${virt}`);
  const bdms = ctx.params.blockDeviceMappings();
  const location = ctx.params.get('ImageLocation');
  const common = {
    name, description: description ?? '', virtualizationType: virt as 'paravirtual' | 'hvm',
    ...(ctx.params.get('KernelId') ? { kernelId: ctx.params.get('KernelId')! } : {}),
    ...(ctx.params.get('RamdiskId') ? { ramdiskId: ctx.params.get('RamdiskId')! } : {}),
  };
  let image: Image;
  if (location) {
    if (bdms.some((b) => b.ebs)) {
      throw new SimError('InvalidBlockDeviceMapping', 'Instance-store images may only have ephemeral or suppressed block device mappings');
    }
    const manifest = readManifest(ctx.state, location);
    image = newImage(ctx, {
      ...common, rootDeviceType: 'instance-store', rootDeviceName: ctx.params.get('RootDeviceName') ?? (profile.eucalyptus ? '/dev/sda' : '/dev/sda1'),
      imageLocation: location, architecture: architecture ?? manifest.architecture, blockDeviceMappings: bdms,
      ...(manifest.platform ? { platform: manifest.platform } : {}),
    });
  } else {
    const rootDeviceName = ctx.params.get('RootDeviceName');
    const root = rootDeviceName ? bdms.find((b) => b.deviceName === rootDeviceName && b.ebs?.snapshotId) : undefined;
    if (!rootDeviceName || !root) {
      throw new SimError(profile.eucalyptus ? 'InvalidParameterValue' : 'InvalidParameterCombination',
        'Invalid request: the request must specify either ImageLocation for an instance-store image or a snapshot for the root device for an EBS image.');
    }
    for (const b of bdms) {
      if (b.ebs?.snapshotId) {
        const snap = findSnapshot(ctx, b.ebs.snapshotId);
        b.ebs.volumeSize ??= snap.volumeSize;
        b.ebs.deleteOnTermination ??= true;
      }
    }
    image = newImage(ctx, {
      ...common, rootDeviceType: 'ebs', rootDeviceName, architecture: architecture ?? 'x86_64', blockDeviceMappings: bdms,
    });
  }
  applyTagSpecifications(ctx, 'image', image.tags);
  const failImage = ctx.state.faults.take('failImage', 'RegisterImage') !== undefined;
  ctx.state.scheduler.after(ctx.state.duration('imageMs'), () => {
    if (image.state === 'pending') image.state = failImage ? 'failed' : 'available';
  });
  return { imageId: image.id };
}

const IMAGE_FILTERS: Record<string, (i: Image) => string | undefined | readonly (string | undefined)[]> = {
  'image-id': (i) => i.id,
  name: (i) => i.name,
  description: (i) => i.description,
  state: (i) => i.state,
  'image-type': (i) => i.imageType,
  'root-device-type': (i) => i.rootDeviceType,
  'root-device-name': (i) => i.rootDeviceName,
  architecture: (i) => i.architecture,
  'owner-id': (i) => i.ownerId,
  'is-public': (i) => String(i.isPublic),
  platform: (i) => i.platform,
  'manifest-location': (i) => i.imageLocation,
  'kernel-id': (i) => i.kernelId,
  'ramdisk-id': (i) => i.ramdiskId,
  'block-device-mapping.snapshot-id': (i) => i.blockDeviceMappings.map((b) => b.ebs?.snapshotId),
  'block-device-mapping.device-name': (i) => i.blockDeviceMappings.map((b) => b.deviceName),
  'block-device-mapping.volume-size': (i) => i.blockDeviceMappings.map((b) => b.ebs?.volumeSize?.toString()),
  'block-device-mapping.delete-on-termination': (i) => i.blockDeviceMappings.map((b) => b.ebs?.deleteOnTermination?.toString()),
};

function imageXml(i: Image): XmlObject {
  return {
    imageId: i.id,
    imageLocation: i.imageLocation || `${i.ownerId}/${i.name}`,
    imageState: i.state,
    imageOwnerId: i.ownerId,
    creationDate: i.creationDate,
    isPublic: i.isPublic,
    architecture: i.architecture,
    imageType: i.imageType,
    kernelId: i.kernelId,
    ramdiskId: i.ramdiskId,
    platform: i.platform,
    name: i.name,
    description: i.description || undefined,
    rootDeviceType: i.rootDeviceType,
    rootDeviceName: i.rootDeviceName,
    blockDeviceMapping: itemSet(i.blockDeviceMappings.map((b) => ({
      deviceName: b.deviceName,
      virtualName: b.virtualName,
      ebs: b.ebs ? {
        snapshotId: b.ebs.snapshotId, volumeSize: b.ebs.volumeSize, deleteOnTermination: b.ebs.deleteOnTermination,
        volumeType: b.ebs.volumeType ?? 'standard',
      } : undefined,
      noDevice: b.noDevice ? '' : undefined,
    }))),
    virtualizationType: i.virtualizationType,
    hypervisor: 'xen',
    tagSet: tagSet(i.tags),
  };
}

function describeImages(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('ImageId');
  const me = ctx.account.accountId;
  const owners = ctx.params.list('Owner').map((o) => (o === 'self' ? me : o));
  const filters = ctx.params.filters();
  const candidates = ids.length > 0
    ? ids.map((id) => findImage(ctx, id))
    : [...ctx.state.images.values()].filter((i) => ctx.state.imageVisible(i, me));
  const matching = candidates.filter((i) => (owners.length === 0 || owners.includes(i.ownerId))
    && matchFilters(i, filters, IMAGE_FILTERS));
  return { imagesSet: itemSet(matching.map(imageXml)) };
}

function deregisterImage(ctx: Ec2Context): XmlObject {
  const image = findImage(ctx, ctx.params.require('ImageId'), true);
  image.state = 'deregistered';
  ctx.state.images.delete(image.id);
  return { return: true };
}

const BDM = ['BlockDeviceMapping.N.DeviceName', 'BlockDeviceMapping.N.VirtualName', 'BlockDeviceMapping.N.NoDevice',
  'BlockDeviceMapping.N.Ebs.*'];
export const IMAGE_ACTIONS: Record<string, ActionDef> = {
  CreateImage: { params: ['InstanceId', 'Name', 'Description', 'NoReboot', ...BDM, 'TagSpecification.N.*'], handler: createImage },
  RegisterImage: {
    params: ['ImageLocation', 'Name', 'Description', 'Architecture', 'KernelId', 'RamdiskId', 'RootDeviceName',
      'VirtualizationType', 'SriovNetSupport', 'EnaSupport', 'BootMode', ...BDM, 'TagSpecification.N.*'],
    handler: registerImage,
  },
  DescribeImages: {
    params: ['ImageId.N', 'Owner.N', 'ExecutableBy.N', 'Filter.N.Name', 'Filter.N.Value.N', 'IncludeDeprecated',
      'IncludeDisabled', 'MaxResults', 'NextToken'],
    handler: describeImages,
  },
  DeregisterImage: { params: ['ImageId'], handler: deregisterImage },
};
