// RunInstances from a registered image, TerminateInstances and GetConsoleOutput: what a boot check of a new image
// needs. pending → running after instanceMs (never, under the `neverRunning` fault); terminate goes
// shutting-down → terminated and deletes the volumes marked deleteOnTermination.
import { SimError } from '../errors.ts';
import type { Image, Instance } from '../model.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import { type ActionDef, type Ec2Context, applyTagSpecifications, findImage, findInstances, validateTagSpecifications } from './context.ts';
import { instanceXml, stateXml } from './instances.ts';

/** `family.size` as every EC2 and Eucalyptus instance type name is written. */
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

function launchable(image: Image): void {
  if (image.state !== 'available') {
    throw new SimError('InvalidAMIID.Unavailable', `The image id '[${image.id}]' is not available (state ${image.state})`);
  }
  if (image.imageType !== 'machine') {
    throw new SimError('InvalidParameterValue', `The image id '[${image.id}]' is not a machine image`);
  }
}

function newInstance(ctx: Ec2Context, image: Image, reservationId: string, instanceType: string, zone: string, token: string | undefined): Instance {
  const instance = ctx.state.addInstance({
    ownerId: ctx.account.accountId, reservationId, imageId: image.id, instanceType, state: 'pending',
    rootDeviceType: image.rootDeviceType, rootDeviceName: image.rootDeviceName, architecture: image.architecture === 'i386' ? 'i386' : 'x86_64',
    ...(image.platform ? { platform: image.platform } : {}), availabilityZone: zone,
    ...(token ? { clientToken: token } : {}),
  }, 0, image.blockDeviceMappings.find((b) => b.deviceName === image.rootDeviceName)?.ebs?.volumeSize ?? 10);
  applyTagSpecifications(ctx, 'instance', instance.tags);
  if (ctx.state.faults.take('neverRunning', ctx.action) !== undefined) {
    instance.stuck = true;
    return instance;
  }
  ctx.state.scheduler.after(ctx.state.duration('instanceMs'), () => {
    if (instance.state === 'pending') instance.state = 'running';
  });
  return instance;
}

function runInstances(ctx: Ec2Context): XmlObject {
  const image = findImage(ctx, ctx.params.require('ImageId'));
  const min = ctx.params.int('MinCount') ?? 1;
  const max = ctx.params.int('MaxCount') ?? min;
  if (min < 1 || max < min) {
    throw new SimError('InvalidParameterValue', `Invalid instance count: MinCount ${min}, MaxCount ${max}`);
  }
  validateTagSpecifications(ctx, ['instance', 'volume']);
  const instanceType = ctx.params.get('InstanceType') ?? 'm1.small';
  if (!INSTANCE_TYPE.test(instanceType)) {
    throw new SimError('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
  }
  const zone = ctx.params.get('Placement.AvailabilityZone') ?? ctx.state.zones[0]!;
  if (!ctx.state.zones.includes(zone)) {
    throw new SimError(ctx.state.profile.eucalyptus ? 'InvalidParameterValue' : 'InvalidZone.NotFound',
      `Invalid availability zone: [${zone}]`);
  }
  launchable(image);
  // A repeated client token answers the reservation it created (EC2 idempotency).
  const token = ctx.params.get('ClientToken');
  const earlier = token
    ? [...ctx.state.instances.values()].filter((i) => i.clientToken === token && i.ownerId === ctx.account.accountId)
    : [];
  const reservationId = earlier[0]?.reservationId ?? ctx.state.ids.next('r-');
  const instances = earlier.length > 0
    ? earlier
    : Array.from({ length: max }, () => newInstance(ctx, image, reservationId, instanceType, zone, token));
  return {
    reservationId,
    ownerId: ctx.account.accountId,
    groupSet: '',
    instancesSet: itemSet(instances.map(instanceXml)),
  };
}

function terminateInstances(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('InstanceId');
  if (ids.length === 0) throw new SimError('MissingParameter', 'The request must contain the parameter InstanceId');
  const instances = findInstances(ctx, ids, true);
  const items = instances.map((i) => {
    const previous = i.state;
    if (previous !== 'terminated' && previous !== 'shutting-down') {
      i.state = 'shutting-down';
      ctx.state.recordEvent('terminate', i.id);
      ctx.state.scheduler.after(ctx.state.duration('instanceMs'), () => finishTermination(ctx, i));
    }
    return { instanceId: i.id, currentState: stateXml(i.state), previousState: stateXml(previous) };
  });
  return { instancesSet: itemSet(items) };
}

function finishTermination(ctx: Ec2Context, instance: Instance): void {
  if (instance.state !== 'shutting-down') return;
  instance.state = 'terminated';
  for (const a of instance.attachments) {
    const volume = ctx.state.volumes.get(a.volumeId);
    if (!volume) continue;
    volume.attachedTo = undefined;
    if (a.deleteOnTermination) {
      volume.status = 'deleted';
      ctx.state.volumes.delete(volume.id);
    } else {
      volume.status = 'available';
    }
  }
  instance.attachments = [];
}

/** What a booted instance prints: enough of a boot log for a pattern check, nothing before it runs. */
function consoleText(i: Instance): string {
  if (i.stuck || i.state === 'pending') return '';
  return [
    `eucasim: booting ${i.imageId} as ${i.id} (${i.instanceType}, ${i.availabilityZone})`,
    'Starting kernel ...',
    'cloud-init: modules:final done',
    `${i.id} login:`,
    '',
  ].join('\n');
}

function getConsoleOutput(ctx: Ec2Context): XmlObject {
  const [instance] = findInstances(ctx, [ctx.params.require('InstanceId')], true);
  const text = consoleText(instance!);
  return {
    instanceId: instance!.id,
    timestamp: new Date(),
    output: text ? Buffer.from(text, 'utf8').toString('base64') : undefined,
  };
}

export const RUN_ACTIONS: Record<string, ActionDef> = {
  RunInstances: {
    params: ['ImageId', 'MinCount', 'MaxCount', 'InstanceType', 'Placement.*', 'KeyName', 'SecurityGroup.N',
      'SecurityGroupId.N', 'UserData', 'KernelId', 'RamdiskId', 'ClientToken', 'Monitoring.*', 'SubnetId',
      'InstanceInitiatedShutdownBehavior', 'DisableApiTermination', 'EbsOptimized', 'BlockDeviceMapping.N.*',
      'AdditionalInfo', 'PrivateIpAddress', 'TagSpecification.N.*'],
    handler: runInstances,
  },
  TerminateInstances: { params: ['InstanceId.N'], handler: terminateInstances },
  GetConsoleOutput: { params: ['InstanceId', 'Latest'], handler: getConsoleOutput },
};
