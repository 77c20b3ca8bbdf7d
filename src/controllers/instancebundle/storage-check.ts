// Is the bucket/prefix free for this bundle? Two InstanceBundles naming the same storage would write the same
// manifest and parts (the second overwrites the first's bundle, and deleting either removes the other's), so
// the storage is refused while another instance's task writes there or a bundle manifest already sits there.
// A task started after `notBefore` for this very target is returned, to adopt; any other task writing there,
// of this instance too, is someone else's.
import { listBundleTasks, type BundleTaskInfo } from '../../cloud/ec2.ts';
import { CloudError } from '../../cloud/errors.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';
import { ensureBucket, listObjects } from '../../cloud/s3.ts';
import { isBundleKey, manifestKey } from '../shared/bundle-objects.ts';
import { isRunning, pickBundleTask, type BundleTarget } from '../shared/bundle-task.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';

export interface StorageCheck {
  /** Our own task, to adopt. */
  task?: BundleTaskInfo;
  /** The bucket did not exist and was created (spec.storage.createBucket). */
  bucketCreated: boolean;
}

/**
 * One ListObjects of `<prefix>.` answers whether the bucket exists and whether a bundle already sits there; one
 * DescribeBundleTasks whether a task of ours runs (adopt it) and whether another one writes here.
 */
export async function checkStorageFree(gw: CloudGateway, target: BundleTarget & { createBucket: boolean }, notBefore?: Date): Promise<StorageCheck> {
  const where = `${target.bucket}/${target.prefix}`;
  let bucketCreated = false;
  try {
    let keys: string[];
    try {
      keys = (await listObjects(gw, target.bucket, `${target.prefix}.`)).map((o) => o.key).filter((k) => isBundleKey(target.prefix, k));
    } catch (err) {
      if (!(err instanceof CloudError && err.kind === 'notFound')) throw err;
      if (!target.createBucket) {
        throw new StallError('BucketNotFound', `bucket ${target.bucket} does not exist and spec.storage.createBucket is false: create the bucket, or set spec.storage.createBucket: true`);
      }
      bucketCreated = (await ensureBucket(gw, target.bucket, true)) === 'created';
      keys = [];
    }
    const tasks = await listBundleTasks(gw);
    const ours = pickBundleTask(tasks, target, notBefore);
    if (ours) return { task: ours, bucketCreated };
    const other = tasks.find((t) => t.bucket === target.bucket && t.prefix === target.prefix && (isRunning(t.state) || t.state === 'cancelling'));
    if (other) {
      throw new StallError('StorageInUse', `bundle task ${other.bundleId} of instance ${other.instanceId} is writing to ${where}: choose another spec.storage.prefix`);
    }
    if (keys.includes(manifestKey(target.prefix))) {
      throw new StallError('StorageInUse', `a bundle already exists at ${where} (${manifestKey(target.prefix)}): choose another spec.storage.prefix, or delete that bundle first`);
    }
    return { bucketCreated };
  } catch (err) {
    if (err instanceof StallError) throw err;
    throw outcomeOfCloudError(err, `checking that ${where} is free`);
  }
}
