// Validation before any change in the cloud: the instance exists and belongs to the caller, is in a state that
// allows a capture, the image name is free, and a strategy fits the instance and the cloud.
import { OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import type { CaptureStrategy, ImageCapture } from '../../api/types.ts';
import { describeInstance, findImageByName, type InstanceInfo } from '../../cloud/ec2.ts';
import { outcomeOfCloudError, StallError, WaitError } from '../shared/outcomes.ts';
import type { CloudContext } from './ports.ts';

export type ResolvedStrategy = Exclude<CaptureStrategy, 'Auto'>;

export async function loadInstance(cloud: CloudContext, obj: ImageCapture): Promise<InstanceInfo> {
  const id = obj.spec.instanceId;
  let instance: InstanceInfo | undefined;
  try {
    instance = await describeInstance(cloud.gw, id);
  } catch (err) {
    throw outcomeOfCloudError(err, `DescribeInstances ${id}`);
  }
  if (!instance) {
    throw new StallError('InstanceNotFound', `instance ${id} does not exist or does not belong to the account of the cloud's credentials: check spec.instanceId and spec.cloudRef`);
  }
  return instance;
}

/** States a capture may start from; transient states wait, gone instances stall. */
export function checkInstanceState(instance: InstanceInfo): void {
  switch (instance.state) {
    case 'running':
    case 'stopped':
      return;
    case 'pending':
    case 'stopping':
      throw new WaitError('InstanceTransitioning', `instance ${instance.instanceId} is ${instance.state}; the capture starts when it is running or stopped`, 5_000);
    default:
      throw new StallError('InvalidInstanceState', `instance ${instance.instanceId} is ${instance.state}: only a running or stopped instance can be captured`);
  }
}

export function chooseStrategy(obj: ImageCapture, instance: InstanceInfo, cloud: CloudContext): ResolvedStrategy {
  const asked = obj.spec.strategy ?? 'Auto';
  const ebs = instance.rootDeviceType === 'ebs';
  if (asked === 'CreateImage' || asked === 'Orchestrated') {
    if (!ebs) {
      throw new StallError('UnsupportedByCloud', `instance ${instance.instanceId} has an instance-store root: strategy ${asked} needs an EBS-backed instance; use strategy ViaBundle (clouds with ImportVolume) or an InstanceBundle with register`);
    }
    if (asked === 'CreateImage' && cloud.capabilities.createImage === false) {
      throw new StallError('UnsupportedByCloud', 'this cloud does not implement CreateImage (Eucalyptus 3.3 answers it without an image id): use strategy Orchestrated or Auto');
    }
    return asked;
  }
  if (asked === 'ViaBundle') {
    if (ebs) throw new StallError('UnsupportedByCloud', `instance ${instance.instanceId} is EBS-backed: ViaBundle is for instance-store instances; use Auto, CreateImage or Orchestrated`);
    requireImport(cloud);
    return 'ViaBundle';
  }
  if (ebs) return cloud.capabilities.createImage === false ? 'Orchestrated' : 'CreateImage';
  requireImport(cloud);
  return 'ViaBundle';
}

function requireImport(cloud: CloudContext): void {
  if (!cloud.capabilities.importVolume) {
    throw new StallError('UnsupportedByCloud', 'capturing an instance-store instance as an EBS image needs ImportVolume, which this cloud lacks (Eucalyptus before 4.0): create an InstanceBundle with spec.register to get an instance-store image instead');
  }
}

/**
 * The image name must be free in the account, unless the image carrying it is this capture's own (a crash after
 * CreateImage/RegisterImage and before the status write): then it is adopted.
 */
export async function checkImageName(cloud: CloudContext, obj: ImageCapture): Promise<string | undefined> {
  const name = obj.spec.image.name;
  let existing;
  try {
    existing = await findImageByName(cloud.gw, name);
  } catch (err) {
    throw outcomeOfCloudError(err, `DescribeImages name=${name}`);
  }
  if (!existing || existing.state === 'deregistered' || existing.state === 'failed') return undefined;
  if (existing.tags?.[OWNER_TAG] === ownerTagValue(obj)) return existing.imageId;
  throw new StallError('DuplicateImageName', `an image named "${name}" already exists in this account (${existing.imageId}): choose another spec.image.name`);
}
