// Starting and following a BundleInstance task for InstanceBundle. A bundle
// task cannot carry tags, so a task is recognised by what identifies it: instance, bucket and prefix. Looking
// for it before BundleInstance means a crash between the call and the status write never starts a second one.
import { bundleInstance, cancelBundleTask, listBundleTasks, type BundleTaskInfo } from '../../cloud/ec2.ts';
import { CloudError } from '../../cloud/errors.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';
import type { BundleState } from '../../cloud/states.ts';
import { DEFAULT_MAX_UPLOAD_POLICY_TTL_MS } from '../../cloud/settings.ts';
import { buildUploadPolicy, signUploadPolicy } from '../../cloud/upload-policy.ts';
import { outcomeOfCloudError } from './outcomes.ts';

export interface BundleTarget {
  instanceId: string;
  bucket: string;
  prefix: string;
}

/** States in which the task is still working (and CancelBundleTask may apply). */
const RUNNING: BundleState[] = ['pending', 'waiting-for-shutdown', 'bundling', 'storing'];

export function isRunning(state: BundleState): boolean {
  return RUNNING.includes(state);
}

/**
 * The task for this instance that writes to this bucket and prefix, among `tasks`, started after `notBefore` (the
 * signed checkpoint written before BundleInstance): a running one first, else a complete one. A task started
 * earlier, or without a start time, belongs to someone else (another resource of the same target). Failed and
 * cancelled tasks are never adopted: they are retried.
 */
export function pickBundleTask(tasks: BundleTaskInfo[], target: BundleTarget, notBefore?: Date): BundleTaskInfo | undefined {
  const mine = tasks.filter((t) => t.instanceId === target.instanceId && t.bucket === target.bucket && t.prefix === target.prefix
    && (!notBefore || (t.startTime !== undefined && t.startTime.getTime() >= notBefore.getTime())));
  return mine.find((t) => isRunning(t.state) || t.state === 'cancelling') ?? mine.find((t) => t.state === 'complete');
}

/** Looks for this target's task in the cloud (one DescribeBundleTasks filtered by instance). */
export async function findBundleTask(gw: CloudGateway, target: BundleTarget, notBefore?: Date): Promise<BundleTaskInfo | undefined> {
  try {
    return pickBundleTask(await listBundleTasks(gw, target.instanceId), target, notBefore);
  } catch (err) {
    throw outcomeOfCloudError(err, `looking for a bundle task of ${target.instanceId}`);
  }
}

export interface StartBundleInput extends BundleTarget {
  /** How long the signed upload policy stays valid. */
  uploadPolicyTtlMs: number;
  /** Ignore tasks older than this (see pickBundleTask). */
  notBefore?: Date;
  /** What this reconcile already learnt from the cloud (validation just looked): the task to adopt, or none. */
  known?: { task?: BundleTaskInfo };
  now?: Date;
}

/** Adopts this target's task or starts one with a freshly signed upload policy. */
export async function startOrAdoptBundle(gw: CloudGateway, input: StartBundleInput): Promise<{ task: BundleTaskInfo; adopted: boolean; cappedTtlMs?: number }> {
  const existing = input.known ? input.known.task : await findBundleTask(gw, input, input.notBefore);
  if (existing) return { task: existing, adopted: true };
  const { accessKeyId, secretAccessKey } = gw.settings.credentials;
  // The operator's administrator bounds how long a signed write grant into a bucket may live.
  const cap = gw.settings.maxUploadPolicyTtlMs ?? DEFAULT_MAX_UPLOAD_POLICY_TTL_MS;
  const ttlMs = Math.min(input.uploadPolicyTtlMs, cap);
  const policy = buildUploadPolicy({
    bucket: input.bucket,
    prefix: input.prefix,
    expiresAt: new Date((input.now ?? new Date()).getTime() + ttlMs),
  });
  const { signature } = signUploadPolicy(policy, secretAccessKey);
  try {
    const task = await bundleInstance(gw, {
      instanceId: input.instanceId, bucket: input.bucket, prefix: input.prefix, accessKeyId, uploadPolicy: policy, signature,
    });
    return ttlMs < input.uploadPolicyTtlMs ? { task, adopted: false, cappedTtlMs: ttlMs } : { task, adopted: false };
  } catch (err) {
    throw outcomeOfCloudError(err, `BundleInstance ${input.instanceId}`);
  }
}

/** What a failed task says, in one line, with the cloud's code and message when it gives them (EC2 does, Eucalyptus 3.4 does not). */
export function bundleFailureMessage(task: BundleTaskInfo): string {
  const detail = task.error?.code || task.error?.message
    ? `${task.error.code ?? 'Error'}: ${task.error.message ?? ''}`.trim()
    : 'the cloud gave no error detail';
  return `bundle task ${task.bundleId} of instance ${task.instanceId ?? '?'} ${task.rawState ?? task.state}: ${detail}`;
}

/**
 * Asks the cloud to cancel a running task. Returns false when the task had already left the cancellable
 * states (it just completed or failed): the caller then looks at it again.
 */
export async function cancelRunningTask(gw: CloudGateway, bundleId: string): Promise<boolean> {
  try {
    await cancelBundleTask(gw, bundleId);
    return true;
  } catch (err) {
    if (err instanceof CloudError && (err.kind === 'terminal' || err.kind === 'notFound')) return false;
    throw outcomeOfCloudError(err, `CancelBundleTask ${bundleId}`);
  }
}
