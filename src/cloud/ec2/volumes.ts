// Volumes: described, found by owner tag, deleted.
import { DeleteVolumeCommand, DescribeVolumesCommand, type Volume } from '../ec2-sdk.ts';
import type { CloudGateway } from '../gateway.ts';
import { fromSdkTags, orNotFound, ownerFilter, type Tags } from './shapes.ts';

export interface VolumeInfo {
  volumeId: string;
  sizeGiB?: number;
  state?: string;
  snapshotId?: string;
  availabilityZone?: string;
  attachments: Array<{ instanceId?: string; device?: string; state?: string }>;
  tags: Tags;
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
