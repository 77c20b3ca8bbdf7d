// BundleInstance, DescribeBundleTasks, CancelBundleTask. Eucalyptus: pending → storing → complete | failed,
// canceling → cancelled, progress "N". AWS: pending → waiting-for-shutdown → bundling → storing → complete |
// failed, cancelling, progress "N%", error{code,message}. The upload policy is checked when the task stores.
import { SimError } from '../errors.ts';
import { buildBundle } from '../bundle-manifest.ts';
import { matchesAny } from '../filters.ts';
import { idHex } from '../ids.ts';
import type { BundlePhase, BundleTask } from '../model.ts';
import type { SimState } from '../state.ts';
import { checkUploadPolicy } from '../upload-policy-check.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import { type ActionDef, type Ec2Context, findInstance, uncoded } from './context.ts';

const NAME_RE = /^[a-zA-Z\d.\-_]{3,255}$/;
const ACTIVE: BundlePhase[] = ['pending', 'waiting-for-shutdown', 'bundling', 'storing', 'cancelling'];

function steps(state: SimState): BundlePhase[] {
  return state.profile.bundleStates === 'aws'
    ? ['pending', 'waiting-for-shutdown', 'bundling', 'storing', 'complete']
    : ['pending', 'storing', 'complete'];
}

export function wireBundleState(state: SimState, phase: BundlePhase): string {
  if (state.profile.bundleStates === 'aws') return phase === 'cancelled' ? 'failed' : phase;
  return phase === 'cancelling' ? 'canceling' : phase;
}

function progressOf(state: SimState, t: BundleTask, now = Date.now()): string {
  let pct: number;
  if (t.phase === 'complete') pct = 100;
  else if (t.phase === 'failed' || t.phase === 'cancelled' || t.phase === 'pending') pct = 0;
  else {
    const total = t.dueAt - t.startedAt;
    pct = total <= 0 ? 50 : Math.max(0, Math.min(99, Math.floor(((now - t.startedAt) / total) * 100)));
  }
  return state.profile.bundleStates === 'aws' ? `${pct}%` : String(pct);
}

export function bundleTaskXml(state: SimState, t: BundleTask): XmlObject {
  return {
    instanceId: t.instanceId,
    bundleId: t.id,
    state: wireBundleState(state, t.phase),
    startTime: t.startTime,
    updateTime: t.updateTime,
    progress: progressOf(state, t),
    // The Eucalyptus binding (aws-bundling.xml) has only bucket and prefix under storage/S3 (F§11).
    storage: {
      S3: state.profile.eucalyptus
        ? { bucket: t.bucket, prefix: t.prefix }
        : { bucket: t.bucket, prefix: t.prefix, AWSAccessKeyId: t.accessKeyId, uploadPolicy: t.uploadPolicy, uploadPolicySignature: t.uploadPolicySignature },
    },
    // The 3.4 binding has no error element.
    error: state.profile.bundleStates === 'aws' && t.error ? t.error : undefined,
  };
}

function fail(state: SimState, t: BundleTask, code: string, message: string): void {
  t.phase = 'failed';
  t.updateTime = new Date();
  t.error = { code, message };
  state.recordEvent('bundle-failed', t.id, `${code}: ${message}`);
}

/** Stores the bundle: checks the policy and the bucket, then writes the manifest and parts. */
function store(state: SimState, t: BundleTask, injectedFailure: boolean): void {
  if (injectedFailure) return fail(state, t, 'Bundling.Failed', 'The bundle task failed (injected fault)');
  const policy = checkUploadPolicy({
    policyBase64: t.uploadPolicy, signature: t.uploadPolicySignature, bucket: t.bucket, prefix: t.prefix,
    secretKey: state.accountsByKey.get(t.accessKeyId)?.secretAccessKey,
  });
  if (!policy.ok) return fail(state, t, policy.code, `Upload policy rejected: ${policy.message}`);
  const bucket = state.s3.buckets.get(t.bucket);
  if (!bucket) return fail(state, t, 'NoSuchBucket', `The bucket ${t.bucket} does not exist`);
  const instance = state.instances.get(t.instanceId);
  if (!instance) return fail(state, t, 'InvalidInstanceID.NotFound', `The instance ${t.instanceId} no longer exists`);
  const built = buildBundle(instance, t.prefix, t.ownerId, state.bundledBytes, state.bundlePartSize);
  for (const p of built.parts) state.s3.put(bucket, p.key, p.body, 'binary/octet-stream', 'ec2-bundle-read');
  state.s3.put(bucket, `${t.prefix}.manifest.xml`, Buffer.from(built.manifest), 'application/xml', 'ec2-bundle-read');
  t.phase = 'complete';
  t.updateTime = new Date();
}

function scheduleSteps(state: SimState, t: BundleTask, injectedFailure: boolean): void {
  const chain = steps(state);
  const advance = (index: number) => {
    state.scheduler.after(state.duration('bundleStepMs'), () => {
      if (t.phase === 'cancelling' || !ACTIVE.includes(t.phase)) return;
      const next = chain[index]!;
      if (next === 'complete') return store(state, t, injectedFailure);
      t.phase = next;
      t.updateTime = new Date();
      advance(index + 1);
    });
  };
  advance(1);
}

function bundleInstance(ctx: Ec2Context): XmlObject {
  const p = ctx.params;
  const profile = ctx.state.profile;
  const instanceId = p.require('InstanceId');
  const bucket = p.require('Storage.S3.Bucket');
  const prefix = p.require('Storage.S3.Prefix');
  const accessKeyId = p.require('Storage.S3.AWSAccessKeyId');
  const uploadPolicy = p.require('Storage.S3.UploadPolicy');
  const uploadPolicySignature = p.require('Storage.S3.UploadPolicySignature');
  // 3.4.2 really answers with a leading space in the code (VmControl.java:823,825), and 4.0.0 still does (:1083).
  const invalid = profile.eucalyptus && profile.name !== 'eucalyptus-3.3' ? ' InvalidParameterValue' : 'InvalidParameterValue';
  if (!NAME_RE.test(bucket)) throw new SimError(invalid, `Invalid bucket name: ${bucket}`);
  if (!NAME_RE.test(prefix)) throw new SimError(invalid, `Invalid prefix name: ${prefix}`);
  const instance = findInstance(ctx, instanceId);
  if (!profile.bundleLinux && instance.platform !== 'windows') {
    throw uncoded(ctx, 'UnsupportedOperation', profile.eucalyptus
      ? "Failed to bundle requested vm because the platform is not 'windows'"
      : `The instance ${instance.id} is not a Windows instance: only Windows instance-store instances can be bundled`);
  }
  if (profile.bundleWindowsPrefix && !prefix.startsWith('windows')) {
    throw uncoded(ctx, 'InvalidParameterValue', `Prefix must start with 'windows': ${prefix}`);
  }
  if (instance.rootDeviceType === 'ebs' && !profile.bundleEbs) {
    throw new SimError('UnsupportedOperation', `The instance ${instance.id} is EBS-backed: only instance-store instances can be bundled`);
  }
  if (instance.state !== 'running') {
    throw uncoded(ctx, 'IncorrectInstanceState', `Failed to bundle requested vm because it is not currently 'running': ${instance.id}`);
  }
  const id = `bun-${idHex(instance.id)}`;
  const existing = ctx.state.bundleTasks.get(id);
  if (existing && ACTIVE.includes(existing.phase)) {
    if (existing.bucket === bucket && existing.prefix === prefix) return { bundleInstanceTask: bundleTaskXml(ctx.state, existing) };
    throw uncoded(ctx, 'BundlingInProgress', `Instance is already being bundled: ${id}`);
  }
  const now = Date.now();
  const stepCount = steps(ctx.state).length - 1;
  const task: BundleTask = {
    id, ownerId: ctx.account.accountId, instanceId: instance.id, bucket, prefix, accessKeyId, uploadPolicy,
    uploadPolicySignature, phase: 'pending', startTime: new Date(now), updateTime: new Date(now), startedAt: now,
    dueAt: now + stepCount * ctx.state.latency.bundleStepMs,
  };
  ctx.state.bundleTasks.set(id, task);
  scheduleSteps(ctx.state, task, ctx.state.faults.take('failBundle', 'BundleInstance') !== undefined);
  return { bundleInstanceTask: bundleTaskXml(ctx.state, task) };
}

function findTask(ctx: Ec2Context, id: string): BundleTask | undefined {
  const t = ctx.state.bundleTasks.get(id);
  return t && t.ownerId === ctx.account.accountId ? t : undefined;
}

function describeBundleTasks(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('BundleId');
  const filters = ctx.params.filters();
  let tasks: BundleTask[];
  if (ids.length > 0) {
    tasks = [];
    for (const id of ids) {
      const t = findTask(ctx, id);
      if (t) tasks.push(t);
      else if (!ctx.state.profile.eucalyptus) throw new SimError('InvalidBundleID.NotFound', `The bundle ID '${id}' does not exist`);
    }
  } else {
    tasks = [...ctx.state.bundleTasks.values()].filter((t) => t.ownerId === ctx.account.accountId);
  }
  const field: Record<string, (t: BundleTask) => string | undefined> = {
    'bundle-id': (t) => t.id, 'instance-id': (t) => t.instanceId, state: (t) => wireBundleState(ctx.state, t.phase),
    's3-bucket': (t) => t.bucket, 's3-prefix': (t) => t.prefix, progress: (t) => progressOf(ctx.state, t),
    'error-code': (t) => t.error?.code, 'error-message': (t) => t.error?.message,
    'start-time': (t) => t.startTime.toISOString(), 'update-time': (t) => t.updateTime.toISOString(),
  };
  for (const name of filters.keys()) if (!field[name]) throw new SimError('InvalidParameterValue', `The filter '${name}' is invalid`);
  const matching = tasks.filter((t) => [...filters].every(([name, wanted]) => matchesAny(field[name]!(t), wanted)));
  return { bundleInstanceTasksSet: itemSet(matching.map((t) => bundleTaskXml(ctx.state, t))) };
}

function cancelBundleTask(ctx: Ec2Context): XmlObject {
  const id = ctx.params.require('BundleId');
  const t = findTask(ctx, id);
  if (!t) {
    throw uncoded(ctx, 'InvalidBundleID.NotFound',
      ctx.state.profile.eucalyptus ? `Failed to find bundle task: ${id}` : `The bundle ID '${id}' does not exist`);
  }
  const cancellable: BundlePhase[] = ctx.state.profile.eucalyptus ? ['pending', 'storing'] : ['pending', 'waiting-for-shutdown', 'bundling', 'storing'];
  if (!cancellable.includes(t.phase)) {
    throw uncoded(ctx, 'IncorrectState', `Can't cancel bundle task when the bundle task is ${wireBundleState(ctx.state, t.phase)}`);
  }
  t.phase = 'cancelling';
  t.updateTime = new Date();
  ctx.state.scheduler.after(ctx.state.duration('bundleStepMs'), () => {
    if (t.phase !== 'cancelling') return;
    t.phase = 'cancelled';
    t.updateTime = new Date();
    if (!ctx.state.profile.eucalyptus) t.error = { code: 'Cancelled', message: 'The bundle task was cancelled' };
  });
  return { bundleInstanceTask: bundleTaskXml(ctx.state, t) };
}

export const BUNDLE_ACTIONS: Record<string, ActionDef> = {
  BundleInstance: {
    params: ['InstanceId', 'Storage.S3.Bucket', 'Storage.S3.Prefix', 'Storage.S3.AWSAccessKeyId', 'Storage.S3.UploadPolicy',
      'Storage.S3.UploadPolicySignature'],
    handler: bundleInstance,
  },
  DescribeBundleTasks: { params: ['BundleId.N', 'Filter.N.Name', 'Filter.N.Value.N'], handler: describeBundleTasks },
  CancelBundleTask: { params: ['BundleId'], handler: cancelBundleTask },
};
