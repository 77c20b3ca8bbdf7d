// DescribeVolumes, CreateVolume, DeleteVolume.
import { SimError } from '../errors.ts';
import { matchFilters } from '../filters.ts';
import type { Volume } from '../model.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import {
  type ActionDef, type Ec2Context, applyTagSpecifications, findSnapshot, findVolume, paginate, tagSet,
  validateTagSpecifications,
} from './context.ts';

const VOLUME_FILTERS: Record<string, (v: Volume) => string | undefined | readonly (string | undefined)[]> = {
  'volume-id': (v) => v.id,
  status: (v) => v.status,
  size: (v) => String(v.size),
  'snapshot-id': (v) => v.snapshotId,
  'availability-zone': (v) => v.availabilityZone,
  'attachment.instance-id': (v) => v.attachedTo,
};

export function volumeXml(ctx: Ec2Context, v: Volume): XmlObject {
  const instance = v.attachedTo ? ctx.state.instances.get(v.attachedTo) : undefined;
  const att = instance?.attachments.find((a) => a.volumeId === v.id);
  return {
    volumeId: v.id,
    size: v.size,
    snapshotId: v.snapshotId,
    availabilityZone: v.availabilityZone,
    status: v.status,
    createTime: v.createTime,
    attachmentSet: att && instance ? itemSet([{
      volumeId: v.id, instanceId: instance.id, device: att.device, status: 'attached', attachTime: att.attachTime,
      deleteOnTermination: att.deleteOnTermination,
    }]) : '',
    volumeType: 'standard',
    tagSet: tagSet(v.tags),
  };
}

function describeVolumes(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('VolumeId');
  const filters = ctx.params.filters();
  const owner = ctx.account.accountId;
  const candidates = ids.length > 0
    ? ids.map((id) => findVolume(ctx, id))
    : [...ctx.state.volumes.values()].filter((v) => v.ownerId === owner && v.status !== 'deleted');
  const { page, nextToken } = paginate(ctx, candidates.filter((v) => matchFilters(v, filters, VOLUME_FILTERS)));
  return { volumeSet: itemSet(page.map((v) => volumeXml(ctx, v))), nextToken };
}

function createVolume(ctx: Ec2Context): XmlObject {
  const zone = ctx.params.require('AvailabilityZone');
  if (!ctx.state.zones.includes(zone)) {
    throw new SimError('InvalidZone.NotFound', `The zone '${zone}' does not exist.`);
  }
  validateTagSpecifications(ctx, ['volume']);
  const snapshotId = ctx.params.get('SnapshotId');
  const snapshot = snapshotId ? findSnapshot(ctx, snapshotId) : undefined;
  if (snapshot && snapshot.status !== 'completed') {
    throw new SimError('IncorrectState', `Snapshot '${snapshot.id}' is not 'completed'.`);
  }
  const size = ctx.params.int('Size') ?? snapshot?.volumeSize;
  if (size === undefined) throw new SimError('MissingParameter', 'The request must contain the parameter size or snapshotId');
  if (size < 1 || (snapshot && size < snapshot.volumeSize)) {
    throw new SimError('InvalidParameterValue', `The volume size is invalid: ${size}`);
  }
  const volume = ctx.state.createVolume(ctx.account.accountId, size, zone, snapshot?.id ?? '');
  applyTagSpecifications(ctx, 'volume', volume.tags);
  return {
    volumeId: volume.id, size: volume.size, snapshotId: volume.snapshotId, availabilityZone: zone,
    status: volume.status, createTime: volume.createTime, volumeType: 'standard', tagSet: tagSet(volume.tags),
  };
}

function deleteVolume(ctx: Ec2Context): XmlObject {
  const volume = findVolume(ctx, ctx.params.require('VolumeId'));
  if (volume.attachedTo || volume.status === 'in-use') {
    throw new SimError('VolumeInUse', `Volume ${volume.id} is currently attached to ${volume.attachedTo ?? 'an instance'}`);
  }
  volume.status = 'deleted';
  ctx.state.volumes.delete(volume.id);
  return { return: true };
}

export const VOLUME_ACTIONS: Record<string, ActionDef> = {
  DescribeVolumes: { params: ['VolumeId.N', 'Filter.N.Name', 'Filter.N.Value.N', 'MaxResults', 'NextToken'], handler: describeVolumes },
  CreateVolume: {
    params: ['AvailabilityZone', 'Size', 'SnapshotId', 'VolumeType', 'Iops', 'Encrypted', 'KmsKeyId', 'TagSpecification.N.*'],
    handler: createVolume,
  },
  DeleteVolume: { params: ['VolumeId'], handler: deleteVolume },
};
