// DescribeInstances and the power actions (Stop/Start/Reboot) with their timed state transitions.
import { SimError } from '../errors.ts';
import { matchFilters } from '../filters.ts';
import { INSTANCE_STATE_CODES, type Instance, type InstanceState } from '../model.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import { type ActionDef, type Ec2Context, findInstances, paginate, tagSet } from './context.ts';

const INSTANCE_FILTERS: Record<string, (i: Instance) => string | undefined | readonly (string | undefined)[]> = {
  'instance-id': (i) => i.id,
  'instance-state-name': (i) => i.state,
  'instance-state-code': (i) => String(INSTANCE_STATE_CODES[i.state]),
  'root-device-type': (i) => i.rootDeviceType,
  'root-device-name': (i) => i.rootDeviceName,
  platform: (i) => i.platform,
  architecture: (i) => i.architecture,
  'availability-zone': (i) => i.availabilityZone,
  'image-id': (i) => i.imageId,
  'instance-type': (i) => i.instanceType,
  'owner-id': (i) => i.ownerId,
  'reservation-id': (i) => i.reservationId,
  'block-device-mapping.volume-id': (i) => i.attachments.map((a) => a.volumeId),
  'block-device-mapping.device-name': (i) => i.attachments.map((a) => a.device),
};

export function stateXml(state: InstanceState): XmlObject {
  return { code: INSTANCE_STATE_CODES[state], name: state };
}

export function instanceXml(i: Instance): XmlObject {
  return {
    instanceId: i.id,
    imageId: i.imageId,
    instanceState: stateXml(i.state),
    privateDnsName: '',
    dnsName: '',
    reason: '',
    amiLaunchIndex: 0,
    productCodes: '',
    instanceType: i.instanceType,
    launchTime: i.launchTime,
    placement: { availabilityZone: i.availabilityZone, groupName: '', tenancy: 'default' },
    platform: i.platform,
    monitoring: { state: 'disabled' },
    architecture: i.architecture,
    rootDeviceType: i.rootDeviceType,
    rootDeviceName: i.rootDeviceType === 'ebs' ? i.rootDeviceName : undefined,
    blockDeviceMapping: itemSet(i.attachments.map((a) => ({
      deviceName: a.device,
      ebs: { volumeId: a.volumeId, status: 'attached', attachTime: a.attachTime, deleteOnTermination: a.deleteOnTermination },
    }))),
    virtualizationType: 'paravirtual',
    hypervisor: 'xen',
    clientToken: i.clientToken,
    tagSet: tagSet(i.tags),
  };
}

function describeInstances(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('InstanceId');
  const filters = ctx.params.filters();
  const owner = ctx.account.accountId;
  const candidates = ids.length > 0
    ? findInstances(ctx, ids, true)
    : [...ctx.state.instances.values()].filter((i) => i.ownerId === owner && i.state !== 'terminated');
  const matching = candidates.filter((i) => matchFilters(i, filters, INSTANCE_FILTERS));
  const { page, nextToken } = paginate(ctx, matching);
  // One reservation item per reservation id, in first-seen order.
  const reservations = new Map<string, Instance[]>();
  for (const i of page) reservations.set(i.reservationId, [...(reservations.get(i.reservationId) ?? []), i]);
  return {
    reservationSet: itemSet([...reservations].map(([reservationId, members]) => ({
      reservationId,
      ownerId: members[0]!.ownerId,
      groupSet: '',
      instancesSet: itemSet(members.map(instanceXml)),
    }))),
    nextToken,
  };
}

function transition(ctx: Ec2Context, instance: Instance, to: InstanceState, from: InstanceState): void {
  ctx.state.scheduler.after(ctx.state.duration('instanceMs'), () => {
    if (instance.state === from) instance.state = to;
  });
}

function changeItem(i: Instance, previous: InstanceState): XmlObject {
  return { instanceId: i.id, currentState: stateXml(i.state), previousState: stateXml(previous) };
}

function stopInstances(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('InstanceId');
  if (ids.length === 0) throw new SimError('MissingParameter', 'The request must contain the parameter InstanceId');
  const instances = findInstances(ctx, ids);
  for (const i of instances) {
    if (i.rootDeviceType !== 'ebs') {
      throw new SimError('UnsupportedOperation', `The instance '${i.id}' does not have an 'ebs' root device type and cannot be stopped.`);
    }
    if (i.state === 'shutting-down' || i.state === 'terminated') {
      throw new SimError('IncorrectInstanceState', `This instance '${i.id}' is not in a state from which it can be stopped.`);
    }
  }
  const items = instances.map((i) => {
    const previous = i.state;
    if (previous === 'running' || previous === 'pending') {
      i.state = 'stopping';
      ctx.state.recordEvent('stop', i.id);
      transition(ctx, i, 'stopped', 'stopping');
    }
    return changeItem(i, previous);
  });
  return { instancesSet: itemSet(items) };
}

function startInstances(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('InstanceId');
  if (ids.length === 0) throw new SimError('MissingParameter', 'The request must contain the parameter InstanceId');
  const instances = findInstances(ctx, ids);
  if (!ctx.state.profile.eucalyptus) {
    const busy = instances.find((i) => i.state === 'stopping' || i.state === 'shutting-down');
    if (busy) throw new SimError('IncorrectInstanceState', `The instance '${busy.id}' is not in a state from which it can be started.`);
  }
  // Only stopped instances start; Eucalyptus skips the others silently (VmControl.startInstances).
  const items = instances.map((i) => {
    const previous = i.state;
    if (previous === 'stopped') {
      i.state = 'pending';
      ctx.state.recordEvent('start', i.id);
      transition(ctx, i, 'running', 'pending');
    }
    return changeItem(i, previous);
  });
  return { instancesSet: itemSet(items) };
}

function rebootInstances(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('InstanceId');
  if (ids.length === 0) throw new SimError('MissingParameter', 'The request must contain the parameter InstanceId');
  const instances = findInstances(ctx, ids);
  // The instance stays `running` in Describe; the reboot is visible in the state's events.
  for (const i of instances) {
    if (i.state !== 'running') continue;
    i.rebootCount++;
    ctx.state.recordEvent('reboot', i.id, 'RebootInstances');
  }
  return { return: true };
}

const PAGING = ['MaxResults', 'NextToken'];
export const INSTANCE_ACTIONS: Record<string, ActionDef> = {
  DescribeInstances: { params: ['InstanceId.N', 'Filter.N.Name', 'Filter.N.Value.N', ...PAGING], handler: describeInstances },
  StopInstances: { params: ['InstanceId.N', 'Force'], handler: stopInstances },
  StartInstances: { params: ['InstanceId.N', 'AdditionalInfo'], handler: startInstances },
  RebootInstances: { params: ['InstanceId.N'], handler: rebootInstances },
};
