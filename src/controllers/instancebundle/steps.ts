// The InstanceBundle steps, in order: validate → start (or adopt) the bundle task → follow it through the batched
// poller → (register the manifest → wait until the image is available). Each step starts from status and the
// cloud, so a restart anywhere resumes without a second task or image.
import { formatDuration, parseDuration } from '../../api/duration.ts';
import type { InstanceBundle } from '../../api/types.ts';
import { checkBundleable } from '../shared/bundle-checks.ts';
import { bundleFailureMessage, isRunning, startOrAdoptBundle } from '../shared/bundle-task.ts';
import { manifestKey } from '../shared/bundle-objects.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import { StallError } from '../shared/outcomes.ts';
import type { EventSink, Step, StepResult } from '../shared/step-reconciler.ts';
import { checkCreateInputs } from '../shared/create-limits.ts';
import { adoptOrRegister, bundleOwnerTags, checkImageNameFree } from './image.ts';
import { loadInstance } from './instance.ts';
import { checkStorageFree } from './storage-check.ts';
import { imageParams, requireOwnTask, signedTask, taskParams, tasksNotBefore } from './ownership.ts';
import type { InstanceBundleState } from './state.ts';

type BundleEvents = EventSink<InstanceBundle>;

export function bundleSteps(events: BundleEvents): Step<InstanceBundleState>[] {
  return [
    // BundleStored is set only once validation passed (stored with the start of the task).
    { name: 'validate', when: (s) => !s.status.bundleId && !s.condition('BundleStored'), run: (cloud, s) => validate(cloud, s, events) },
    { name: 'start the bundle task', when: (s) => !s.status.bundleId, run: (cloud, s) => startBundle(cloud, s, events) },
    { name: 'follow the bundle task', when: (s) => s.condition('BundleStored')?.status !== 'True', run: followBundle },
    { name: 'register the image', when: (s) => !!s.obj.spec.register && !s.status.imageId, run: (cloud, s) => register(cloud, s, events) },
    { name: 'wait for the image', when: (s) => !!s.obj.spec.register, run: (cloud, s) => waitForImage(cloud, s) },
  ];
}

async function validate(cloud: KindCloud, state: InstanceBundleState, events: BundleEvents): Promise<StepResult> {
  const { spec } = state.obj;
  state.phase('Pending');
  state.reconciling('Validating', `validating instance ${spec.instanceId}`);
  if (spec.register) {
    checkCreateInputs(cloud.capabilities, { nameField: 'spec.register.name', imageName: spec.register.name, description: spec.register.description, tags: bundleOwnerTags(state.obj, 'image') });
  }
  const instance = await loadInstance(cloud, spec.instanceId);
  state.account = instance.ownerId;
  checkBundleable(instance, cloud.capabilities, spec.storage.prefix);
  await checkImageNameFree(cloud, state.obj);
  // Nothing of ours can have started yet (the checkpoint below comes first): every task there is someone else's.
  const now = new Date();
  const { task, bucketCreated } = await checkStorageFree(cloud.gw, {
    instanceId: spec.instanceId, bucket: spec.storage.bucket, prefix: spec.storage.prefix, createBucket: spec.storage.createBucket ?? false,
  }, now);
  if (bucketCreated) events.normal(state.obj, 'BucketCreated', `created bucket ${spec.storage.bucket}`);
  state.taskLookup = task ? { task } : {};
  // Signed, and stored by the next step before BundleInstance: from then on a deletion looks for a task started
  // after it; before it, nothing exists to remove. RegisterImage is signed in the write just before that call.
  cloud.createCalls.pending(state, 'BundleInstance', taskParams(state.obj), now);
  state.step('BundleStored', 'False', 'Starting', `starting a bundle task of ${instance.rootDeviceType} ${instance.platform} instance ${instance.instanceId}`);
  return { again: true };
}

async function startBundle(cloud: KindCloud, state: InstanceBundleState, events: BundleEvents): Promise<StepResult> {
  const { spec } = state.obj;
  // No BundleInstance without its signed checkpoint in status (a forged or lost one is written again first).
  if (cloud.createCalls.pending(state, 'BundleInstance', taskParams(state.obj))) {
    state.taskLookup = undefined;
    return { checkpoint: true, again: true };
  }
  const since = tasksNotBefore(signedTask(cloud, state)!);
  // Stored before BundleInstance is sent (with the validation); the task id goes with the next real change, and
  // after a crash the task is found again by the signed checkpoint, instance and storage.
  state.phase('Bundling');
  state.step('BundleStored', 'False', 'Bundling', `starting a bundle task of instance ${spec.instanceId}`);
  state.reconciling('Bundling', `bundling instance ${spec.instanceId} into ${spec.storage.bucket}/${spec.storage.prefix}`);
  await state.persist();
  const { task, adopted, cappedTtlMs } = await startOrAdoptBundle(cloud.gw, {
    instanceId: spec.instanceId,
    bucket: spec.storage.bucket,
    prefix: spec.storage.prefix,
    uploadPolicyTtlMs: parseDuration(spec.uploadPolicyTTL ?? '12h'),
    notBefore: since,
    ...(state.taskLookup ? { known: state.taskLookup } : {}),
  });
  state.status.bundleId = task.bundleId;
  cloud.createCalls.succeeded(state, 'BundleInstance', taskParams(state.obj), task.bundleId);
  state.status.state = task.state;
  state.status.progress = scaled(state.obj, task.progress ?? 0);
  state.step('BundleStored', 'False', 'Bundling', `bundle task ${task.bundleId} is ${task.rawState ?? task.state}${cappedTtlMs === undefined ? '' : ` (upload policy capped at ${formatDuration(cappedTtlMs)})`}`);
  const capped = cappedTtlMs === undefined ? '' : `; upload policy valid for ${formatDuration(cappedTtlMs)}, the operator's --max-upload-policy-ttl, not the ${spec.uploadPolicyTTL} asked`;
  // Events only for what the user acts on: an adopted task (found after a crash) or a shortened upload policy.
  if (adopted || capped) events.normal(state.obj, adopted ? 'BundleAdopted' : 'BundleStarted', `${adopted ? 'adopted' : 'started'} bundle task ${task.bundleId} of ${spec.instanceId} to ${spec.storage.bucket}/${spec.storage.prefix}${capped}`);
  return { again: true };
}

/** Follows the task; returns undefined once it is complete (the manifest is stored). */
function followBundle(cloud: KindCloud, state: InstanceBundleState): StepResult | undefined {
  const id = requireOwnTask(cloud, state);
  cloud.bundleTasks.watch(id, state.key);
  const seen = cloud.bundleTasks.get(id);
  if (!seen) return {};
  if ('notFound' in seen) {
    throw new StallError('BundleFailed', `bundle task ${id} is no longer known to the cloud: delete and re-create this InstanceBundle to bundle again`);
  }
  state.status.state = seen.state;
  if (seen.progress !== undefined) state.status.progress = Math.max(state.status.progress ?? 0, scaled(state.obj, seen.progress));
  if (seen.state === 'failed') throw new StallError('BundleFailed', bundleFailureMessage(seen));
  if (seen.state === 'cancelled') throw new StallError('BundleFailed', `bundle task ${id} was cancelled outside the operator`);
  if (seen.state !== 'complete') {
    const why = isRunning(seen.state) ? `${seen.rawState ?? seen.state}, ${seen.progress ?? 0}%` : seen.rawState ?? seen.state;
    state.reconciling('Bundling', `bundle task ${id} is ${why}`);
    state.step('BundleStored', 'False', 'Bundling', `bundle task ${id} is ${why}`);
    return {};
  }
  cloud.bundleTasks.unwatch(state.key);
  const { bucket, prefix } = state.obj.spec.storage;
  state.status.manifestLocation = seen.manifestLocation ?? `${bucket}/${manifestKey(prefix)}`;
  state.status.progress = scaled(state.obj, 100);
  state.step('BundleStored', 'True', 'Succeeded', `bundle stored at ${state.status.manifestLocation}`);
  return undefined;
}

async function register(cloud: KindCloud, state: InstanceBundleState, events: BundleEvents): Promise<StepResult> {
  // Stored before RegisterImage (bundle stored, registering); the image id goes with the next real change.
  state.phase('Registering');
  state.step('ImageRegistered', 'False', 'WaitingForImage', `registering ${state.status.manifestLocation}`);
  state.reconciling('WaitingForImage', `registering ${state.status.manifestLocation}`);
  // The signed RegisterImage checkpoint rides on this write, the last before the call, so every RegisterImage of
  // this bundle follows a stored one: without one that verifies, none was ever sent (also not by an earlier
  // process) and there is nothing to look for; with one, an earlier pass may have sent it and lost the answer.
  const mayHaveBeenSent = !cloud.createCalls.pending(state, 'RegisterImage', imageParams(state.obj));
  await state.persist();
  // Without spec.register.architecture the cloud reads it from the manifest.
  const { imageId, adopted } = await adoptOrRegister(cloud, state, undefined, mayHaveBeenSent);
  state.status.imageId = imageId;
  cloud.createCalls.succeeded(state, 'RegisterImage', imageParams(state.obj), imageId);
  state.step('ImageRegistered', 'False', 'WaitingForImage', `image ${imageId} registered; waiting for it to become available`);
  state.reconciling('WaitingForImage', `image ${imageId} registered; waiting for it to become available`);
  // The new image is named by the Available event; an adopted one (found after a crash) is said at once.
  if (adopted) events.normal(state.obj, 'ImageAdopted', `adopted image ${imageId} from ${state.status.manifestLocation}`);
  return { again: true };
}

function waitForImage(cloud: KindCloud, state: InstanceBundleState): StepResult | undefined {
  const imageId = state.status.imageId!;
  cloud.images.watch(imageId, state.key);
  const seen = cloud.images.get(imageId);
  if (!seen) return {};
  if ('notFound' in seen || seen.state === 'deregistered') {
    throw new StallError('ImageDeregistered', `image ${imageId} no longer exists in the cloud (deregistered outside the operator?)`);
  }
  if (seen.state === 'failed') throw new StallError('ImageFailed', `image ${imageId} failed${seen.stateReason ? `: ${seen.stateReason}` : ''}`);
  if (seen.state !== 'available') {
    state.reconciling('WaitingForImage', `waiting for image ${imageId} to become available (${seen.rawState ?? seen.state})`);
    return {};
  }
  cloud.images.unwatch(state.key);
  state.step('ImageRegistered', 'True', 'Succeeded', `image ${imageId} is available`);
  return undefined;
}

/** Bundling is 90% of the work when an image is registered afterwards. */
function scaled(obj: InstanceBundle, pct: number): number {
  return Math.round(obj.spec.register ? pct * 0.9 : pct);
}
