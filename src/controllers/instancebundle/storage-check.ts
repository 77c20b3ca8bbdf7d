// Is the bucket/prefix free for this bundle? Two InstanceBundles naming the same storage would write the same
// manifest and parts (the second overwrites the first's bundle, and deleting either removes the other's), so
// the storage is refused while another instance's task writes there or a bundle manifest already sits there.
// Our own task (a crash between BundleInstance and the status write) is never a conflict: it is adopted.
import { DescribeBundleTasksCommand } from '@aws-sdk/client-ec2';
import { toBundleTaskInfo } from '../../cloud/ec2.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';
import { listBundleObjects, manifestKey } from '../shared/bundle-objects.ts';
import { findBundleTask, isRunning, type BundleTarget } from '../shared/bundle-task.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';

export async function checkStorageFree(gw: CloudGateway, target: BundleTarget, notBefore?: Date): Promise<void> {
  if (await findBundleTask(gw, target, notBefore)) return;
  const where = `${target.bucket}/${target.prefix}`;
  try {
    const out = await gw.send(new DescribeBundleTasksCommand({}));
    const other = (out.BundleTasks ?? []).map(toBundleTaskInfo).find((t) => t.bucket === target.bucket && t.prefix === target.prefix
      && t.instanceId !== target.instanceId && (isRunning(t.state) || t.state === 'cancelling'));
    if (other) {
      throw new StallError('StorageInUse', `bundle task ${other.bundleId} of instance ${other.instanceId} is writing to ${where}: choose another spec.storage.prefix`);
    }
    if ((await listBundleObjects(gw, target.bucket, target.prefix)).includes(manifestKey(target.prefix))) {
      throw new StallError('StorageInUse', `a bundle already exists at ${where} (${manifestKey(target.prefix)}): choose another spec.storage.prefix, or delete that bundle first`);
    }
  } catch (err) {
    if (err instanceof StallError) throw err;
    throw outcomeOfCloudError(err, `checking that ${where} is free`);
  }
}
