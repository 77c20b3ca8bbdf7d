// Snapshots: created (tagged on create where the cloud can), described, found by owner tag, volume or
// description, deleted.
import { CreateSnapshotCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand, type Snapshot } from '../ec2-sdk.ts';
import type { CloudGateway } from '../gateway.ts';
import { normalizeSnapshotState, parseProgress, type SnapshotState } from '../states.ts';
import { fromSdkTags, numberOf, orNotFound, ownerFilter, tagOnCreate, tagSpec, toSdkTags, type Tags } from './shapes.ts';
import { createTags } from './tags.ts';

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
  /** When the cloud started the snapshot. */
  startTime?: Date;
  tags: Tags;
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
    ...(s.StartTime ? { startTime: new Date(s.StartTime) } : {}),
  };
}

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

/** The account's snapshots whose description matches the pattern (`*` wildcards): snapshots tagged by description only. */
export async function findSnapshotsByDescription(gw: CloudGateway, pattern: string): Promise<SnapshotInfo[]> {
  const out = await gw.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'description', Values: [pattern] }] }));
  return (out.Snapshots ?? []).map(toSnapshotInfo);
}

/** Deleting a snapshot that is already gone succeeds. */
export async function deleteSnapshot(gw: CloudGateway, snapshotId: string): Promise<void> {
  await orNotFound(gw.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })), undefined);
}
