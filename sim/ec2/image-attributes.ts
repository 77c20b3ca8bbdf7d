// ModifyImageAttribute / DescribeImageAttribute / ResetImageAttribute: launch permissions (account ids and the
// group `all`) and the description. Both request forms are read: the structured `LaunchPermission.Add.N.*` /
// `LaunchPermission.Remove.N.*` (what current SDKs send) and the older `OperationType` + `UserId.N` /
// `UserGroup.N` (what euca2ools of the 3.x era send). Only the owner may change or read launch permissions.
import { SimError } from '../errors.ts';
import type { Image } from '../model.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import { type ActionDef, type Ec2Context, findImage, unauthorized } from './context.ts';

interface PermissionChange {
  add: { userIds: string[]; groups: string[] };
  remove: { userIds: string[]; groups: string[] };
}

const ATTRIBUTES = ['launchPermission', 'description', 'kernel', 'ramdisk', 'productCodes', 'blockDeviceMapping'];

function badItem(value: string): SimError {
  return new SimError('InvalidAMIAttributeItemValue', `Invalid attribute item value "${value}" for launchPermission item type.`);
}

function side(ctx: Ec2Context, which: 'Add' | 'Remove'): { userIds: string[]; groups: string[] } {
  const userIds: string[] = [];
  const groups: string[] = [];
  for (const n of ctx.params.indexes(`LaunchPermission.${which}`)) {
    const userId = ctx.params.get(`LaunchPermission.${which}.${n}.UserId`);
    const group = ctx.params.get(`LaunchPermission.${which}.${n}.Group`);
    if (userId !== undefined) userIds.push(userId);
    if (group !== undefined) groups.push(group);
  }
  return { userIds, groups };
}

function readChange(ctx: Ec2Context): PermissionChange {
  const change: PermissionChange = { add: side(ctx, 'Add'), remove: side(ctx, 'Remove') };
  const operation = ctx.params.get('OperationType');
  const userIds = ctx.params.list('UserId');
  const groups = ctx.params.list('UserGroup');
  if (operation !== undefined || userIds.length > 0 || groups.length > 0) {
    if (operation !== 'add' && operation !== 'remove') {
      throw new SimError('InvalidParameterValue', `Value (${operation ?? ''}) for parameter OperationType is invalid. Expected: 'add' or 'remove'.`);
    }
    const target = operation === 'add' ? change.add : change.remove;
    target.userIds.push(...userIds);
    target.groups.push(...groups);
  }
  for (const id of [...change.add.userIds, ...change.remove.userIds]) if (!/^\d{12}$/.test(id)) throw badItem(id);
  for (const g of [...change.add.groups, ...change.remove.groups]) if (g !== 'all') throw badItem(g);
  return change;
}

function modifyImageAttribute(ctx: Ec2Context): XmlObject {
  const image = findImage(ctx, ctx.params.require('ImageId'), true);
  const attribute = ctx.params.get('Attribute');
  const description = ctx.params.get('Description.Value');
  if (attribute === 'description' || (attribute === undefined && description !== undefined)) {
    const value = description ?? ctx.params.get('Value') ?? '';
    if (value.length > 255) {
      throw new SimError(ctx.state.profile.eucalyptus ? 'InvalidParameter' : 'InvalidParameterValue',
        'AMI descriptions must be less than 256 characters long');
    }
    image.description = value;
    return { return: true };
  }
  if (attribute !== undefined && attribute !== 'launchPermission') {
    throw new SimError('InvalidParameterValue', `Value (${attribute}) for parameter Attribute is invalid. Expected: launchPermission or description.`);
  }
  const change = readChange(ctx);
  const total = change.add.userIds.length + change.add.groups.length + change.remove.userIds.length + change.remove.groups.length;
  if (total === 0) throw new SimError('MissingParameter', 'The request must contain the parameter LaunchPermission');
  // Removals first, then additions: a request that does both ends with the added entries (as EC2 applies it).
  for (const id of change.remove.userIds) image.launchPermissions.delete(id);
  if (change.remove.groups.length > 0) image.isPublic = false;
  for (const id of change.add.userIds) if (id !== image.ownerId) image.launchPermissions.add(id);
  if (change.add.groups.length > 0) image.isPublic = true;
  return { return: true };
}

function ownImage(ctx: Ec2Context): Image {
  const image = findImage(ctx, ctx.params.require('ImageId'));
  if (image.ownerId !== ctx.account.accountId) throw unauthorized(ctx, `image ${image.id}`);
  return image;
}

function describeImageAttribute(ctx: Ec2Context): XmlObject {
  const attribute = ctx.params.require('Attribute');
  if (!ATTRIBUTES.includes(attribute)) {
    throw new SimError('InvalidParameterValue', `Value (${attribute}) for parameter Attribute is invalid. Expected: ${ATTRIBUTES.join(', ')}.`);
  }
  const image = ownImage(ctx);
  const out: XmlObject = { imageId: image.id };
  switch (attribute) {
    case 'launchPermission':
      out['launchPermission'] = itemSet([
        ...(image.isPublic ? [{ group: 'all' }] : []),
        ...[...image.launchPermissions].sort().map((userId) => ({ userId })),
      ]);
      break;
    case 'description':
      out['description'] = image.description ? { value: image.description } : '';
      break;
    case 'kernel':
      out['kernel'] = image.kernelId ? { value: image.kernelId } : '';
      break;
    case 'ramdisk':
      out['ramdisk'] = image.ramdiskId ? { value: image.ramdiskId } : '';
      break;
    case 'productCodes':
      out['productCodes'] = '';
      break;
    default:
      out['blockDeviceMapping'] = itemSet(image.blockDeviceMappings.map((b) => ({
        deviceName: b.deviceName,
        virtualName: b.virtualName,
        ebs: b.ebs ? { snapshotId: b.ebs.snapshotId, volumeSize: b.ebs.volumeSize, deleteOnTermination: b.ebs.deleteOnTermination } : undefined,
      })));
  }
  return out;
}

function resetImageAttribute(ctx: Ec2Context): XmlObject {
  const attribute = ctx.params.require('Attribute');
  if (attribute !== 'launchPermission') {
    throw new SimError('InvalidParameterValue', `Value (${attribute}) for parameter Attribute is invalid. Expected: launchPermission.`);
  }
  const image = findImage(ctx, ctx.params.require('ImageId'), true);
  image.launchPermissions.clear();
  image.isPublic = false;
  return { return: true };
}

export const IMAGE_ATTRIBUTE_ACTIONS: Record<string, ActionDef> = {
  ModifyImageAttribute: {
    params: ['ImageId', 'Attribute', 'OperationType', 'UserId.N', 'UserGroup.N', 'ProductCode.N', 'Value',
      'Description.Value', 'LaunchPermission.Add.N.UserId', 'LaunchPermission.Add.N.Group',
      'LaunchPermission.Remove.N.UserId', 'LaunchPermission.Remove.N.Group'],
    handler: modifyImageAttribute,
  },
  DescribeImageAttribute: { params: ['ImageId', 'Attribute'], handler: describeImageAttribute },
  ResetImageAttribute: { params: ['ImageId', 'Attribute'], handler: resetImageAttribute },
};
