// Boot verification of an available image: run one instance from it (with a client token derived from the
// capture, so a retry after a crash adopts the same instance instead of starting a second), wait until it runs
// and optionally prints a pattern, terminate it, and record the verdict on the capture and on the image.
import { BOOT_VERIFIED_TAG, OWNER_TAG, STEP_TAG, ownerTagValue } from '../../api/constants.ts';
import { parseDuration } from '../../api/duration.ts';
import {
  consoleOutput, createTags, describeInstance, findInstancesByOwner, findInstancesOfImage, runInstance, terminateInstances,
} from '../../cloud/ec2.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';
import type { ImageCapture } from '../../api/types.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import type { EventSink, StepResult } from '../shared/step-reconciler.ts';
import { ownImage } from './ownership.ts';
import type { ImageCaptureState } from './state.ts';

type BootCheckResult = { done: true } | { done: false; checkpoint?: boolean; requeueAfterMs: number };

const POLL_MS = 2_000;

/** ClientToken of the capture's one test instance (EC2 allows 64 ASCII characters). */
export function bootClientToken(uid: string): string {
  return `eio-boot-${uid}`.slice(0, 64);
}

async function runBootCheck(cloud: KindCloud, state: ImageCaptureState): Promise<BootCheckResult> {
  const spec = state.obj.spec.bootVerification!;
  const imageId = state.status.imageId!;
  const check = (state.status.bootCheck ??= {});
  if (check.result === 'Passed') return { done: true };
  state.phase('Verifying');
  if (!check.startedAt) {
    // Written before RunInstances: after a crash, an instance of this image with our client token is ours.
    check.startedAt = new Date().toISOString();
    state.reconciling('VerifyingBoot', `running a test instance from image ${imageId}`);
    return { done: false, checkpoint: true, requeueAfterMs: 0 };
  }
  if (!check.instanceId) {
    state.reconciling('VerifyingBoot', `running a test instance from image ${imageId}`);
    await provenImage(cloud, state);
    let id: string;
    try {
      id = await runInstance(cloud.gw, {
        imageId, instanceType: spec.instanceType ?? 'm1.small', clientToken: bootClientToken(state.obj.metadata.uid!),
        ...(spec.availabilityZone ? { availabilityZone: spec.availabilityZone } : {}),
      });
    } catch (err) {
      const outcome = outcomeOfCloudError(err, `RunInstances from ${imageId}`);
      if (outcome instanceof StallError) return fail(cloud, state, `the cloud refused to run an instance from the image: ${outcome.message}`);
      throw outcome;
    }
    check.instanceId = id;
    // Recorded before anything else: the instance is ours (and found again by its owner tag after a crash).
    await createTags(cloud.gw, [id], { [OWNER_TAG]: ownerTagValue(state.obj), [STEP_TAG]: 'boot-check' });
    return { done: false, checkpoint: true, requeueAfterMs: 0 };
  }
  const timeoutText = spec.timeout ?? '10m';
  const expired = Date.now() - Date.parse(check.startedAt!) > parseDuration(timeoutText);
  const instance = await describeInstance(cloud.gw, check.instanceId);
  const where = `test instance ${check.instanceId}`;
  // status.bootCheck.instanceId is a hint: an instance this capture did not launch is never terminated.
  if (instance && instance.clientToken !== bootClientToken(state.obj.metadata.uid!) && instance.tags?.[OWNER_TAG] !== ownerTagValue(state.obj)) {
    throw new StallError('InstanceNotOwned', `status.bootCheck.instanceId names instance ${check.instanceId}, which this capture did not launch (neither its client token nor its owner tag): the operator does not touch it; delete this ImageCapture and create a new one`);
  }
  if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down') {
    return fail(cloud, state, `${where} ended (${instance?.state ?? 'gone'}) before it was seen running`);
  }
  if (instance.state !== 'running') {
    if (expired) return fail(cloud, state, `${where} did not reach running within ${timeoutText} (still ${instance.state})`);
    state.reconciling('VerifyingBoot', `${where} is ${instance.state}; waiting for running`);
    return { done: false, requeueAfterMs: POLL_MS };
  }
  if (spec.consoleOutputPattern) {
    const pattern = new RegExp(spec.consoleOutputPattern, 'm');
    if (!pattern.test(await consoleOutput(cloud.gw, check.instanceId))) {
      if (expired) return fail(cloud, state, `${where} is running but its console output did not match /${spec.consoleOutputPattern}/ within ${timeoutText}`);
      state.reconciling('VerifyingBoot', `${where} is running; waiting for console output matching /${spec.consoleOutputPattern}/`);
      return { done: false, requeueAfterMs: POLL_MS };
    }
  }
  await finish(cloud, state, 'Passed');
  state.step('BootVerified', 'True', 'Succeeded', `${where} (${spec.instanceType ?? 'm1.small'}) reached running${spec.consoleOutputPattern ? ` and printed /${spec.consoleOutputPattern}/` : ''}; it was terminated`);
  return { done: true };
}

/** The image status.imageId names, proven ours (from the poller's view when it has one) before it is run or tagged. */
async function provenImage(cloud: KindCloud, state: ImageCaptureState): Promise<void> {
  const imageId = state.status.imageId!;
  const seen = cloud.images.get(imageId);
  if (!(await ownImage(cloud, state.current, imageId, seen && !('notFound' in seen) ? seen : undefined))) {
    throw new StallError('ImageDeregistered', `image ${imageId} no longer exists in the cloud (deregistered outside the operator?): delete and re-create this ImageCapture to capture again`);
  }
}

/** Terminates the test instance (checked as ours by the caller) and tags the image, proven ours, with the verdict. */
async function finish(cloud: KindCloud, state: ImageCaptureState, result: 'Passed' | 'Failed'): Promise<void> {
  const check = state.status.bootCheck!;
  if (check.instanceId) await terminateInstances(cloud.gw, [check.instanceId]);
  check.terminated = !!check.instanceId;
  check.result = result;
  await provenImage(cloud, state);
  await createTags(cloud.gw, [state.status.imageId!], { [BOOT_VERIFIED_TAG]: result === 'Passed' ? 'true' : 'false' });
}

async function fail(cloud: KindCloud, state: ImageCaptureState, why: string): Promise<never> {
  await finish(cloud, state, 'Failed');
  const message = `image ${state.status.imageId} did not pass boot verification: ${why}; the test instance was terminated and the image kept (tagged ${BOOT_VERIFIED_TAG}=false)`;
  state.step('BootVerified', 'False', 'BootVerificationFailed', message);
  throw new StallError('BootVerificationFailed', message);
}

/** Spec check before any cloud call: a pattern that is not a regular expression stalls the capture. */
export function checkBootSpec(state: ImageCaptureState): void {
  const pattern = state.obj.spec.bootVerification?.consoleOutputPattern;
  if (!pattern) return;
  try {
    new RegExp(pattern, 'm');
  } catch (err) {
    throw new StallError('InvalidBootVerification', `bootVerification.consoleOutputPattern is not a regular expression: ${(err as Error).message}`);
  }
}

/**
 * The test instances of a capture still alive in the cloud: those with its owner tag, and (when a check was
 * started) those of its image launched with its client token, in case the crash came before the tag.
 */
export async function bootCheckInstances(cloud: KindCloud, obj: ImageCapture): Promise<string[]> {
  const ids = new Set((await findInstancesByOwner(cloud.gw, ownerTagValue(obj))).map((i) => i.instanceId));
  const check = obj.status?.bootCheck;
  if (check?.startedAt && obj.status?.imageId) {
    const token = bootClientToken(obj.metadata.uid!);
    for (const i of await findInstancesOfImage(cloud.gw, obj.status.imageId)) if (i.clientToken === token) ids.add(i.instanceId);
  }
  return [...ids].sort();
}

/** The step after the image is available: undefined once the check passed (a failure stalls the capture). */
export async function bootStep(cloud: KindCloud, state: ImageCaptureState, events: EventSink<ImageCapture>): Promise<StepResult | undefined> {
  const r = await runBootCheck(cloud, state);
  if (r.done) {
    events.normal(state.obj, 'BootVerified', state.condition('BootVerified')!.message);
    return undefined;
  }
  if (r.requeueAfterMs === 0) return { checkpoint: true, again: true };
  return { requeueAfterMs: r.requeueAfterMs, ...(r.checkpoint ? { checkpoint: true } : {}) };
}
