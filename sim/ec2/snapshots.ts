// CreateSnapshot, DescribeSnapshots (progress "NN%", pending → completed | failed/error), DeleteSnapshot.
import { SimError } from '../errors.ts';
import { matchFilters } from '../filters.ts';
import type { Snapshot } from '../model.ts';
import type { SimState } from '../state.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import {
  type ActionDef, type Ec2Context, applyTagSpecifications, findSnapshot, findVolume, paginate, tagSet,
  validateTagSpecifications,
} from './context.ts';

/** The wire status: Eucalyptus maps every failure to `failed`, AWS calls it `error`. */
export function snapshotStatus(state: SimState, s: Snapshot): string {
  return s.status === 'failed' ? state.profile.snapshotFailedState : s.status;
}

const SNAPSHOT_FILTERS: Record<string, (s: Snapshot, state: SimState) => string | undefined> = {
  'snapshot-id': (s) => s.id,
  'volume-id': (s) => s.volumeId,
  status: (s, state) => snapshotStatus(state, s),
  'owner-id': (s) => s.ownerId,
  description: (s) => s.description,
  progress: (s, state) => state.snapshotProgress(s),
  'volume-size': (s) => String(s.volumeSize),
  'start-time': (s) => s.startTime.toISOString(),
};

function snapshotXml(state: SimState, s: Snapshot): XmlObject {
  return {
    snapshotId: s.id,
    volumeId: s.volumeId,
    status: snapshotStatus(state, s),
    startTime: s.startTime,
    progress: state.snapshotProgress(s),
    ownerId: s.ownerId,
    volumeSize: String(s.volumeSize),
    description: s.description,
    tagSet: tagSet(s.tags),
  };
}

function createSnapshot(ctx: Ec2Context): XmlObject {
  const volume = findVolume(ctx, ctx.params.require('VolumeId'));
  validateTagSpecifications(ctx, ['snapshot']);
  const snapshot = ctx.state.createSnapshot(volume, ctx.account.accountId, ctx.params.get('Description') ?? '');
  applyTagSpecifications(ctx, 'snapshot', snapshot.tags);
  return {
    snapshotId: snapshot.id, volumeId: volume.id, status: snapshotStatus(ctx.state, snapshot), startTime: snapshot.startTime,
    progress: ctx.state.snapshotProgress(snapshot), ownerId: snapshot.ownerId, volumeSize: String(snapshot.volumeSize),
    description: snapshot.description, tagSet: tagSet(snapshot.tags),
  };
}

function describeSnapshots(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('SnapshotId');
  const owners = ctx.params.list('Owner').map((o) => (o === 'self' ? ctx.account.accountId : o));
  const filters = ctx.params.filters();
  const me = ctx.account.accountId;
  // 3.3–4.0 answer RestorableBy with an empty set (EUCA-5759, F§11).
  if (ctx.state.profile.eucalyptus && ctx.params.list('RestorableBy').length > 0) return { snapshotSet: '' };
  const candidates = ids.length > 0
    ? ids.map((id) => findSnapshot(ctx, id))
    : [...ctx.state.snapshots.values()].filter((s) => s.ownerId === me);
  const fields = Object.fromEntries(Object.entries(SNAPSHOT_FILTERS).map(([k, f]) => [k, (s: Snapshot) => f(s, ctx.state)]));
  const matching = candidates.filter((s) => (owners.length === 0 || owners.includes(s.ownerId)) && matchFilters(s, filters, fields));
  const { page, nextToken } = paginate(ctx, matching);
  return { snapshotSet: itemSet(page.map((s) => snapshotXml(ctx.state, s))), nextToken };
}

function deleteSnapshot(ctx: Ec2Context): XmlObject {
  const snapshot = findSnapshot(ctx, ctx.params.require('SnapshotId'));
  for (const image of ctx.state.images.values()) {
    if (image.state === 'deregistered') continue;
    if (image.blockDeviceMappings.some((b) => b.ebs?.snapshotId === snapshot.id)) {
      throw new SimError('InvalidSnapshot.InUse', `The snapshot ${snapshot.id} is currently in use by ${image.id}`);
    }
  }
  ctx.state.snapshots.delete(snapshot.id);
  return { return: true };
}

export const SNAPSHOT_ACTIONS: Record<string, ActionDef> = {
  CreateSnapshot: { params: ['VolumeId', 'Description', 'TagSpecification.N.*'], handler: createSnapshot },
  DescribeSnapshots: {
    params: ['SnapshotId.N', 'Owner.N', 'RestorableBy.N', 'Filter.N.Name', 'Filter.N.Value.N', 'MaxResults', 'NextToken'],
    handler: describeSnapshots,
  },
  DeleteSnapshot: { params: ['SnapshotId'], handler: deleteSnapshot },
};
