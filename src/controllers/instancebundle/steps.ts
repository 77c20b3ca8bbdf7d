// The InstanceBundle step machine: validate → bucket → bundle task (adopted or started) → follow it through the
// batched poller → (register the manifest → wait until the image is available). Each pass starts from status
// and the cloud, so a restart anywhere resumes without a second task or image.
import { parseDuration } from '../../api/duration.ts';
import type { InstanceBundle } from '../../api/types.ts';
import { CloudError } from '../../cloud/errors.ts';
import { ensureBucket } from '../../cloud/s3.ts';
import { checkBundleable } from '../shared/bundle-checks.ts';
import { bundleFailureMessage, isRunning, startOrAdoptBundle } from '../shared/bundle-task.ts';
import { manifestKey } from '../shared/bundle-objects.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';
import { adoptOrRegister, checkImageNameFree } from './image.ts';
import { loadInstance } from './instance.ts';
import { checkStorageFree } from './storage-check.ts';
import type { BundleCloud, BundleEvents, BundleStepResult } from './ports.ts';
import type { BundleWork } from './state.ts';

/** Kubernetes timestamps have second precision: a task started in the same second still counts as ours. */
const CREATION_SLACK_MS = 2_000;

export async function runBundleSteps(cloud: BundleCloud, work: BundleWork, events: BundleEvents): Promise<BundleStepResult> {
  if (!work.status.bundleId) return startBundle(cloud, work, events);
  if (work.condition('BundleStored')?.status !== 'True') {
    const r = followBundle(cloud, work, events);
    if (r) return r;
  }
  if (!work.obj.spec.register) return { done: true };
  if (!work.status.imageId) return register(cloud, work, events);
  return waitForImage(cloud, work);
}

async function startBundle(cloud: BundleCloud, work: BundleWork, events: BundleEvents): Promise<BundleStepResult> {
  const { spec } = work.obj;
  const created = work.obj.metadata.creationTimestamp ? new Date(work.obj.metadata.creationTimestamp) : undefined;
  const notBefore = created ? new Date(created.getTime() - CREATION_SLACK_MS) : undefined;
  if (work.condition('BundleStored')?.reason !== 'Starting') {
    work.phase('Pending');
    work.reconciling('Validating', `validating instance ${spec.instanceId}`);
    const instance = await loadInstance(cloud, spec.instanceId);
    checkBundleable(instance, cloud.capabilities, spec.storage.prefix);
    await checkImageNameFree(cloud, work.obj);
    await ensureStorage(cloud, work.obj, events);
    await checkStorageFree(cloud.gw, { instanceId: spec.instanceId, bucket: spec.storage.bucket, prefix: spec.storage.prefix }, notBefore);
    // Written before BundleInstance: from here on a deletion looks for a task; before it, nothing exists to remove.
    work.step('BundleStored', 'False', 'Starting', `starting a bundle task of ${instance.rootDeviceType} ${instance.platform} instance ${instance.instanceId}`);
    return { done: false, checkpoint: true, again: true };
  }
  const { task, adopted } = await startOrAdoptBundle(cloud.gw, {
    instanceId: spec.instanceId,
    bucket: spec.storage.bucket,
    prefix: spec.storage.prefix,
    uploadPolicyTtlMs: parseDuration(spec.uploadPolicyTTL ?? '12h'),
    ...(notBefore ? { notBefore } : {}),
  });
  work.status.bundleId = task.bundleId;
  work.status.state = task.state;
  work.status.progress = scaled(work.obj, task.progress ?? 0);
  work.phase('Bundling');
  work.step('BundleStored', 'False', 'Bundling', `bundle task ${task.bundleId} is ${task.rawState ?? task.state}`);
  work.reconciling('Bundling', `bundling instance ${spec.instanceId} into ${spec.storage.bucket}/${spec.storage.prefix}`);
  events.normal(work.obj, adopted ? 'BundleAdopted' : 'BundleStarted', `${adopted ? 'adopted' : 'started'} bundle task ${task.bundleId} of ${spec.instanceId} to ${spec.storage.bucket}/${spec.storage.prefix}`);
  return { done: false, checkpoint: true, again: true };
}

async function ensureStorage(cloud: BundleCloud, obj: InstanceBundle, events: BundleEvents): Promise<void> {
  const { bucket, createBucket } = obj.spec.storage;
  try {
    if ((await ensureBucket(cloud.gw, bucket, createBucket ?? false)) === 'created') {
      events.normal(obj, 'BucketCreated', `created bucket ${bucket}`);
    }
  } catch (err) {
    if (err instanceof CloudError && err.code === 'NoSuchBucket') {
      throw new StallError('BucketNotFound', `bucket ${bucket} does not exist and spec.storage.createBucket is false: create the bucket, or set spec.storage.createBucket: true`);
    }
    throw outcomeOfCloudError(err, `bucket ${bucket}`);
  }
}

/** Follows the task; returns undefined once it is complete (the manifest is stored). */
function followBundle(cloud: BundleCloud, work: BundleWork, events: BundleEvents): BundleStepResult | undefined {
  const id = work.status.bundleId!;
  cloud.bundleTasks.watch(id, work.key);
  const seen = cloud.bundleTasks.get(id);
  if (!seen) return { done: false };
  if ('notFound' in seen) {
    throw new StallError('BundleFailed', `bundle task ${id} is no longer known to the cloud: delete and re-create this InstanceBundle to bundle again`);
  }
  work.status.state = seen.state;
  if (seen.progress !== undefined) work.status.progress = Math.max(work.status.progress ?? 0, scaled(work.obj, seen.progress));
  if (seen.state === 'failed') throw new StallError('BundleFailed', bundleFailureMessage(seen));
  if (seen.state === 'cancelled') throw new StallError('BundleFailed', `bundle task ${id} was cancelled outside the operator`);
  if (seen.state !== 'complete') {
    const why = isRunning(seen.state) ? `${seen.rawState ?? seen.state}, ${seen.progress ?? 0}%` : seen.rawState ?? seen.state;
    work.reconciling('Bundling', `bundle task ${id} is ${why}`);
    work.step('BundleStored', 'False', 'Bundling', `bundle task ${id} is ${why}`);
    return { done: false };
  }
  cloud.bundleTasks.unwatch(work.key);
  const { bucket, prefix } = work.obj.spec.storage;
  work.status.manifestLocation = seen.manifestLocation ?? `${bucket}/${manifestKey(prefix)}`;
  work.status.progress = scaled(work.obj, 100);
  work.step('BundleStored', 'True', 'Succeeded', `bundle stored at ${work.status.manifestLocation}`);
  events.normal(work.obj, 'BundleStored', `bundle task ${id} complete: ${work.status.manifestLocation}`);
  return undefined;
}

async function register(cloud: BundleCloud, work: BundleWork, events: BundleEvents): Promise<BundleStepResult> {
  work.phase('Registering');
  work.reconciling('Registering', `registering ${work.status.manifestLocation}`);
  // Without spec.register.architecture the cloud reads it from the manifest.
  const { imageId, adopted } = await adoptOrRegister(cloud, work.obj, work.status.manifestLocation!, undefined);
  work.status.imageId = imageId;
  work.step('ImageRegistered', 'False', 'WaitingForImage', `image ${imageId} registered; waiting for it to become available`);
  work.reconciling('WaitingForImage', `image ${imageId} registered; waiting for it to become available`);
  events.normal(work.obj, adopted ? 'ImageAdopted' : 'ImageRegistered', `${adopted ? 'adopted' : 'registered'} image ${imageId} from ${work.status.manifestLocation}`);
  return { done: false, checkpoint: true, again: true };
}

function waitForImage(cloud: BundleCloud, work: BundleWork): BundleStepResult {
  const imageId = work.status.imageId!;
  cloud.images.watch(imageId, work.key);
  const seen = cloud.images.get(imageId);
  if (!seen) return { done: false };
  if ('notFound' in seen || seen.state === 'deregistered') {
    throw new StallError('ImageDeregistered', `image ${imageId} no longer exists in the cloud (deregistered outside the operator?)`);
  }
  if (seen.state === 'failed') throw new StallError('ImageFailed', `image ${imageId} failed${seen.stateReason ? `: ${seen.stateReason}` : ''}`);
  if (seen.state !== 'available') {
    work.reconciling('WaitingForImage', `waiting for image ${imageId} to become available (${seen.rawState ?? seen.state})`);
    return { done: false };
  }
  cloud.images.unwatch(work.key);
  work.step('ImageRegistered', 'True', 'Succeeded', `image ${imageId} is available`);
  return { done: true };
}

/** Bundling is 90% of the work when an image is registered afterwards. */
function scaled(obj: InstanceBundle, pct: number): number {
  return Math.round(obj.spec.register ? pct * 0.9 : pct);
}
