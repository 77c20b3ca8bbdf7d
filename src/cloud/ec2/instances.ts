// Instances: described (with the sizes of their EBS volumes), found by tags, rebooted.
import { DescribeInstancesCommand, RebootInstancesCommand, type Filter, type Instance } from '@aws-sdk/client-ec2';
import type { CloudGateway } from '../gateway.ts';
import { orNotFound, type Tags } from './shapes.ts';
import { describeVolumes } from './volumes.ts';

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
