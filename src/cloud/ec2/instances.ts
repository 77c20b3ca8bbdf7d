// Instances: described, found by tags, rebooted; and the one-instance launch,
// console output and termination of a boot verification.
import {
  DescribeInstancesCommand, GetConsoleOutputCommand, RebootInstancesCommand, RunInstancesCommand, TerminateInstancesCommand,
  type _InstanceType, type Filter, type Instance,
} from '../ec2-sdk.ts';
import { OWNER_TAG } from '../../api/constants.ts';
import type { CloudGateway } from '../gateway.ts';
import { fromSdkTags, orNotFound, type Tags } from './shapes.ts';

export interface InstanceVolume {
  deviceName: string;
  volumeId: string;
  deleteOnTermination: boolean;
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
  /** The ClientToken of the RunInstances call that launched it (proof that a launch was ours). */
  clientToken?: string;
  tags?: Tags;
}

function toInstanceInfo(i: Instance): InstanceInfo {
  const volumes: InstanceVolume[] = [];
  for (const b of i.BlockDeviceMappings ?? []) {
    if (!b.DeviceName || !b.Ebs?.VolumeId) continue;
    volumes.push({ deviceName: b.DeviceName, volumeId: b.Ebs.VolumeId, deleteOnTermination: b.Ebs.DeleteOnTermination ?? false });
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
    ...(i.ClientToken ? { clientToken: i.ClientToken } : {}),
    ...(i.Tags?.length ? { tags: fromSdkTags(i.Tags) } : {}),
  };
}

/**
 * The instance with its attached EBS volumes (device, volume, deleteOnTermination), in one DescribeInstances;
 * undefined if gone. Volume sizes are not asked for: a snapshot carries its volume's size.
 */
export async function describeInstance(gw: CloudGateway, instanceId: string): Promise<InstanceInfo | undefined> {
  const out = await orNotFound(gw.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })), undefined);
  const inst = out?.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  if (!inst) return undefined;
  const info = toInstanceInfo(inst);
  if (out?.Reservations?.[0]?.OwnerId) info.ownerId = out.Reservations[0].OwnerId;
  return info;
}

/** Many instances in one call (for the instance poller). */
export async function describeInstances(gw: CloudGateway, ids: string[]): Promise<InstanceInfo[]> {
  if (ids.length === 0) return [];
  const out = await gw.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => {
    const info = toInstanceInfo(i);
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

export interface RunInstanceInput {
  imageId: string;
  instanceType: string;
  availabilityZone?: string;
  /** Idempotency: the same token answers the instance the first call made (a retry after a crash adopts it). */
  clientToken: string;
}

/** One instance from an image; its id. */
export async function runInstance(gw: CloudGateway, input: RunInstanceInput): Promise<string> {
  const out = await gw.send(new RunInstancesCommand({
    ImageId: input.imageId, MinCount: 1, MaxCount: 1, InstanceType: input.instanceType as _InstanceType,
    ClientToken: input.clientToken,
    ...(input.availabilityZone ? { Placement: { AvailabilityZone: input.availabilityZone } } : {}),
  }));
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new Error('RunInstances answered without an instance id');
  return id;
}

/** Terminating an instance that is already gone succeeds. */
export async function terminateInstances(gw: CloudGateway, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await orNotFound(gw.send(new TerminateInstancesCommand({ InstanceIds: ids })), undefined);
}

/** The instance's console output as text ('' while it has none). */
export async function consoleOutput(gw: CloudGateway, instanceId: string): Promise<string> {
  const out = await gw.send(new GetConsoleOutputCommand({ InstanceId: instanceId }));
  return out.Output ? Buffer.from(out.Output, 'base64').toString('utf8') : '';
}

const LIVE: Filter = { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] };

/** Instances (not terminated) carrying this owner tag: what a capture launched to check its image. */
export async function findInstancesByOwner(gw: CloudGateway, ownerTag: string): Promise<InstanceInfo[]> {
  const out = await gw.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${OWNER_TAG}`, Values: [ownerTag] }, LIVE] }));
  return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => toInstanceInfo(i)));
}

/** Instances (not terminated) launched from an image: one DescribeInstances with an image-id filter. */
export async function findInstancesOfImage(gw: CloudGateway, imageId: string): Promise<InstanceInfo[]> {
  const out = await gw.send(new DescribeInstancesCommand({ Filters: [{ Name: 'image-id', Values: [imageId] }, LIVE] }));
  return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => toInstanceInfo(i)));
}
