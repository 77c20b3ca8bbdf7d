// Validation before any change in the cloud: the instance exists and belongs to the caller, is in a state that
// allows a capture, the image name is free, and a strategy fits the instance and the cloud.
import { OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import type { CaptureStrategy, ImageCapture } from '../../api/types.ts';
import { describeInstance, findImageByName, type InstanceInfo } from '../../cloud/ec2.ts';
import { outcomeOfCloudError, StallError, WaitError } from '../shared/outcomes.ts';
import type { KindCloud } from '../shared/cloud-context.ts';

export type ResolvedStrategy = Exclude<CaptureStrategy, 'Auto'>;

export async function loadInstance(cloud: KindCloud, obj: ImageCapture): Promise<InstanceInfo> {
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
export function checkInstanceState(instance: { instanceId: string; state: string }): void {
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

/**
 * Why an instance-store instance cannot become an EBS image, and what works instead. ImportVolume reads an import
 * manifest of raw/VMDK/VHD disk parts, never a bundle manifest (Eucalyptus 4.0 DownloadManifestFactory fails a
 * bundle manifest with "Base manifest does not have size element"), and bundle parts are encrypted with a key only
 * the cloud holds, so nothing outside the cloud can turn a bundle into disk parts.
 */
export const INSTANCE_STORE_REFUSAL = 'an instance-store instance cannot be captured as an EBS image on any Eucalyptus or EC2 cloud: '
  + 'ImportVolume reads only import manifests of raw/VMDK/VHD disk parts, not bundle manifests ("Base manifest does not have size element", '
  + 'Eucalyptus 4.0 DownloadManifestFactory), and bundle parts are encrypted with a key only the cloud holds; '
  + 'create an InstanceBundle with spec.register instead, which gives an instance-store image';

export function chooseStrategy(obj: ImageCapture, instance: InstanceInfo, cloud: KindCloud): ResolvedStrategy {
  const asked = obj.spec.strategy ?? 'Auto';
  if (instance.rootDeviceType !== 'ebs') {
    throw new StallError('UnsupportedByCloud', `instance ${instance.instanceId} has an instance-store root: ${INSTANCE_STORE_REFUSAL}`);
  }
  if (asked === 'CreateImage' && cloud.capabilities.createImage === false) {
    throw new StallError('UnsupportedByCloud', 'this cloud does not implement CreateImage (Eucalyptus 3.3 answers it without an image id): use strategy Orchestrated or Auto');
  }
  if (asked === 'CreateImage' || asked === 'Orchestrated') return asked;
  return cloud.capabilities.createImage === false ? 'Orchestrated' : 'CreateImage';
}

/**
 * The image name must be free in the account, unless the image carrying it is this capture's own (a crash after
 * CreateImage/RegisterImage and before the status write): then it is adopted.
 */
export async function checkImageName(cloud: KindCloud, obj: ImageCapture): Promise<string | undefined> {
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
