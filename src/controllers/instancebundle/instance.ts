// The instance to bundle, as the cloud's credentials see it.
import { describeInstance, type InstanceInfo } from '../../cloud/ec2.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';
import type { KindCloud } from '../shared/cloud-context.ts';

export async function loadInstance(cloud: KindCloud, instanceId: string): Promise<InstanceInfo> {
  let instance: InstanceInfo | undefined;
  try {
    instance = await describeInstance(cloud.gw, instanceId);
  } catch (err) {
    throw outcomeOfCloudError(err, `DescribeInstances ${instanceId}`);
  }
  if (!instance) {
    throw new StallError('InstanceNotFound', `instance ${instanceId} does not exist or does not belong to the account of the cloud's credentials: check spec.instanceId and spec.cloudRef`);
  }
  return instance;
}
