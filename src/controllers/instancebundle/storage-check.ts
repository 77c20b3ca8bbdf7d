// Is the bucket/prefix free for this bundle? Two InstanceBundles naming the same storage would write the same
// manifest and parts (the second overwrites the first's bundle, and deleting either removes the other's), so
// the storage is refused while another instance's task writes there or a bundle manifest already sits there.
// A task started after `notBefore` for this very target is returned, to adopt; any other task writing there,
// of this instance too, is someone else's.
import { listBundleTasks, type BundleTaskInfo } from '../../cloud/ec2.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';
import { listBundleObjects, manifestKey } from '../shared/bundle-objects.ts';
import { isRunning, pickBundleTask, type BundleTarget } from '../shared/bundle-task.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';

/** One DescribeBundleTasks answers both questions: is a task of ours running (adopt it) and is another one writing here. */
export async function checkStorageFree(gw: CloudGateway, target: BundleTarget, notBefore?: Date): Promise<BundleTaskInfo | undefined> {
  const where = `${target.bucket}/${target.prefix}`;
  try {
    const tasks = await listBundleTasks(gw);
    const ours = pickBundleTask(tasks, target, notBefore);
    if (ours) return ours;
    const other = tasks.find((t) => t.bucket === target.bucket && t.prefix === target.prefix && (isRunning(t.state) || t.state === 'cancelling'));
    if (other) {
      throw new StallError('StorageInUse', `bundle task ${other.bundleId} of instance ${other.instanceId} is writing to ${where}: choose another spec.storage.prefix`);
    }
    if ((await listBundleObjects(gw, target.bucket, target.prefix)).includes(manifestKey(target.prefix))) {
      throw new StallError('StorageInUse', `a bundle already exists at ${where} (${manifestKey(target.prefix)}): choose another spec.storage.prefix, or delete that bundle first`);
    }
    return undefined;
  } catch (err) {
    if (err instanceof StallError) throw err;
    throw outcomeOfCloudError(err, `checking that ${where} is free`);
  }
}
