// The operator against moto_server as released (aws dialect): a CloudProfile for moto next to the scenario's own
// eucasim one, instances seeded through moto's EC2 API, and reads of what moto holds.
import {
  AttachVolumeCommand, CreateVolumeCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeSnapshotsCommand,
  EC2Client, RunInstancesCommand, type Image, type Snapshot,
} from '@aws-sdk/client-ec2';
import { API_VERSION } from '../../../src/api/constants.ts';
import { cloudCallsTotal } from '../../../src/runtime/metrics.ts';
import { startMoto, type Moto } from '../../env/moto.ts';
import type { Scenario } from '../support/scenario.ts';

export const MOTO_KEY = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function motoClient(moto: Moto): EC2Client {
  return new EC2Client({ endpoint: moto.url, region: 'us-east-1', credentials: { ...MOTO_KEY }, maxAttempts: 1 });
}

export async function applyMotoProfile(s: Scenario, name: string, endpoint: string, secret = `${name}-credentials`): Promise<void> {
  const r = await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-credentials` }, stringData: { accessKeyId: MOTO_KEY.accessKeyId, secretAccessKey: MOTO_KEY.secretAccessKey } },
        { apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name }, spec: { ec2Endpoint: endpoint, region: 'us-east-1', credentialsSecretRef: { name: secret } } },
      ],
    }),
  });
  if (r.code !== 0) throw new Error(r.stderr);
}

/** A running EBS instance of moto's own catalogue, with `attached` extra volumes on /dev/sdf, /dev/sdg... */
export async function motoInstance(ec2: EC2Client, attached = 0): Promise<{ instanceId: string; volumes: Record<string, string> }> {
  const amis = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'root-device-type', Values: ['ebs'] }] }))).Images ?? [];
  const ami = amis.find((i) => /amzn|ubuntu/i.test(i.Name ?? '')) ?? amis[0]!;
  const run = await ec2.send(new RunInstancesCommand({ ImageId: ami.ImageId, MinCount: 1, MaxCount: 1, InstanceType: 't2.micro' }));
  const inst = run.Instances![0]!;
  for (let i = 0; i < attached; i++) {
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: inst.Placement!.AvailabilityZone!, Size: 2 }));
    await ec2.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: inst.InstanceId, Device: `/dev/sd${String.fromCharCode(102 + i)}` }));
  }
  const now = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst.InstanceId!] }))).Reservations![0]!.Instances![0]!;
  const volumes = Object.fromEntries((now.BlockDeviceMappings ?? []).map((b) => [b.DeviceName!, b.Ebs!.VolumeId!]));
  return { instanceId: inst.InstanceId!, volumes };
}

export async function motoImage(ec2: EC2Client, imageId: string): Promise<Image | undefined> {
  return (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
}

export async function motoSnapshots(ec2: EC2Client, ids: string[]): Promise<Snapshot[]> {
  const all = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? [];
  return all.filter((x) => ids.includes(x.SnapshotId!));
}

export function tagMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
}

/** How often the operator (in this process) sent an action to one cloud, from its eio_cloud_calls_total counter. */
export async function operatorCalls(cloudId: string, action: string): Promise<number> {
  const m = await cloudCallsTotal.get();
  return m.values.filter((v) => v.labels.cloud === cloudId && v.labels.action === action).reduce((n, v) => n + v.value, 0);
}

export { startMoto, type Moto };
