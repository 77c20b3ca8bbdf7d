// What deleting (or giving up on) an InstanceBundle does in the cloud: a running bundle task is cancelled and
// waited for, then the deletion policy decides about the image and the bundle's objects. A bundle that never
// completed is useless, so its partial objects go whatever the policy.
import { ownerTagValue } from '../../api/constants.ts';
import { deregisterImage, describeBundleTasks, findImageByName, findImagesByOwner, type BundleTaskInfo } from '../../cloud/ec2.ts';
import { deleteBundleObjects } from '../shared/bundle-objects.ts';
import { cancelRunningTask, findBundleTask, isRunning } from '../shared/bundle-task.ts';
import { outcomeOfCloudError } from '../shared/outcomes.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import type { CleanupResult } from '../shared/step-reconciler.ts';
import { isOwnImage, signedImage, signedTask, tasksNotBefore } from './ownership.ts';
import type { InstanceBundleState } from './state.ts';

export interface CleanupPlan {
  /** deletionPolicy Delete: deregister the image and delete a completed bundle too. */
  deleteAll: boolean;
}

/**
 * This bundle's task: the one its signed BundleInstance returned, or, in the crash window before that id was
 * written, a task of its instance, bucket and prefix started after the signed checkpoint. status.bundleId proves
 * nothing, and without a signed checkpoint no task was started (the cloud is not asked: it may not even know
 * DescribeBundleTasks).
 */
async function currentTask(cloud: KindCloud, state: InstanceBundleState): Promise<BundleTaskInfo | undefined> {
  const { instanceId, storage } = state.obj.spec;
  const target = { instanceId, bucket: storage.bucket, prefix: storage.prefix };
  const signed = signedTask(cloud, state);
  if (!signed) return undefined;
  if (!signed.id) return findBundleTask(cloud.gw, target, tasksNotBefore(signed));
  const task = (await describeBundleTasks(cloud.gw, [signed.id]).catch(() => []))[0];
  // The same bundle id is reused for a later bundle of the instance elsewhere: that one is not ours.
  if (task && (task.bucket !== storage.bucket || task.prefix !== storage.prefix)) return undefined;
  return task;
}

/** This bundle's images: owner tag, the signed RegisterImage result, or an untagged one in its crash window. */
async function ownImages(cloud: KindCloud, state: InstanceBundleState): Promise<string[]> {
  const images = (await findImagesByOwner(cloud.gw, ownerTagValue(state.obj))).filter((i) => i.state !== 'deregistered').map((i) => i.imageId);
  const signed = signedImage(cloud, state);
  if (signed?.id && !images.includes(signed.id)) images.push(signed.id);
  const name = state.obj.spec.register?.name;
  if (signed && !signed.id && name) {
    const named = await findImageByName(cloud.gw, name);
    if (named && named.state !== 'deregistered' && isOwnImage(cloud, state, named) && !images.includes(named.imageId)) images.push(named.imageId);
  }
  return images;
}

export async function cleanUp(cloud: KindCloud, state: InstanceBundleState, plan: CleanupPlan): Promise<CleanupResult> {
  const deleted: string[] = [];
  const kept: string[] = [];
  const task = await currentTask(cloud, state);
  if (task && isRunning(task.state)) {
    const asked = await cancelRunningTask(cloud.gw, task.bundleId);
    state.status.state = asked ? 'cancelling' : task.state;
    return { waiting: asked ? `cancelling bundle task ${task.bundleId} (was ${task.rawState ?? task.state})` : `bundle task ${task.bundleId} changed state; looking again`, deleted, kept };
  }
  if (task?.state === 'cancelling') {
    state.status.state = 'cancelling';
    return { waiting: `waiting for bundle task ${task.bundleId} to finish cancelling`, deleted, kept };
  }
  if (task) state.status.state = task.state;
  const complete = task?.state === 'complete' || state.condition('BundleStored')?.status === 'True';
  const { bucket, prefix } = state.obj.spec.storage;
  try {
    for (const imageId of await ownImages(cloud, state)) {
      if (plan.deleteAll) {
        await deregisterImage(cloud.gw, imageId);
        deleted.push(imageId);
      } else {
        kept.push(imageId);
      }
    }
    // Without a task of ours nothing of ours was written: objects at this prefix belong to someone else.
    const wroteHere = task !== undefined || signedTask(cloud, state)?.id !== undefined;
    if (wroteHere && (plan.deleteAll || !complete)) {
      deleted.push(...(await deleteBundleObjects(cloud.gw, bucket, prefix)).map((k) => `${bucket}/${k}`));
    } else if (wroteHere) {
      kept.push(`${bucket}/${prefix}.*`);
    }
  } catch (err) {
    throw outcomeOfCloudError(err, 'cleaning up the bundle');
  }
  return { deleted, kept };
}
