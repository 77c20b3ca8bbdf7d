// One pass over one ImageCapture: deletion, finalizer, cloud, timeout, validation, then the strategy's steps.
// Every pass starts from what the cloud and status say, so a restart at any point resumes where it stopped.
import type { Logger } from 'pino';
import { parseDuration } from '../../api/duration.ts';
import type { ImageCapture } from '../../api/types.ts';
import { CloudError } from '../../cloud/errors.ts';
import type { CloudSettings } from '../../cloud/settings.ts';
import type { CloudResolver } from '../shared/cloud-resolver.ts';
import { StallError, WaitError } from '../shared/outcomes.ts';
import { abandonRequested, BlockedNotices, deletionBlocked } from '../shared/deletion.ts';
import { ABANDON_ANNOTATION, OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import { cleanUp } from './cleanup.ts';
import { runCreateImage } from './create-image.ts';
import { runOrchestrated } from './orchestrated.ts';
import type { CaptureEvents, CaptureWriter, CloudContext } from './ports.ts';
import { CaptureState } from './state.ts';
import type { StepResult } from './step-result.ts';
import { checkImageName, checkInstanceState, chooseStrategy, INSTANCE_STORE_REFUSAL, loadInstance } from './validate.ts';
import { sameTags, type TagSyncResult } from './tag-sync.ts';
import { removeCondition } from '../../api/conditions.ts';
import { verifyImage } from './verify.ts';
import { applyLaunchPermissions, revokeLaunchPermissions, sameSet } from '../shared/launch-permissions.ts';

export interface ImageCaptureDeps {
  getCapture(namespace: string, name: string): ImageCapture | undefined;
  clouds: CloudResolver;
  cloudContext(settings: CloudSettings): Promise<CloudContext>;
  /** Drop every poller registration of a resource that is gone or finished. */
  forget(key: string): void;
  writer: CaptureWriter;
  events: CaptureEvents;
  log: Logger;
  rebootSettleMs: number;
  /** How often a finished capture checks that its image still exists. */
  verifyAvailableEveryMs: number;
  /** Fallback look when no poller wakes a waiting capture. */
  waitingRequeueMs: number;
}

export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

export class ImageCaptureReconciler {
  private readonly blocked = new BlockedNotices();
  private readonly deps: ImageCaptureDeps;

  constructor(deps: ImageCaptureDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const [namespace, name] = key.split('/') as [string, string];
    const obj = this.deps.getCapture(namespace, name);
    if (!obj) {
      this.deps.forget(key);
      return {};
    }
    const state = new CaptureState(obj);
    let released = false;
    try {
      const outcome = await this.run(state, () => (released = true));
      state.observe();
      return outcome;
    } catch (err) {
      // Awaited here: a bare `return` would leave the rejected promise unhandled while `finally` writes status,
      // which crashes the process (Node aborts on unhandled rejections).
      const outcome = await this.onError(state, err);
      state.observe();
      return outcome;
    } finally {
      if (state.changed && !released) {
        await this.deps.writer.patchStatus(obj, { ...state.status, observedGeneration: state.generation });
      }
    }
  }

  private async run(state: CaptureState, release: () => void): Promise<ReconcileOutcome> {
    const obj = state.obj;
    if (obj.metadata.deletionTimestamp) return this.finalize(state, release);
    if (state.stalledForGeneration && !isRecoverable(state)) {
      // A failed capture whose cleanup did not finish tries it again.
      if (state.condition('CleanedUp')?.status === 'False') return this.cleanUpAfterFailure(state);
      return {};
    }
    if (!state.hasFinalizer) await this.deps.writer.ensureFinalizer(obj);

    let settings: CloudSettings;
    try {
      ({ settings } = await this.deps.clouds.resolve(obj.metadata.namespace!, obj.spec.cloudRef));
    } catch (err) {
      if (state.status.phase === 'Available' && (err instanceof StallError || err instanceof WaitError)) return this.availableWithoutProfile(state, err);
      throw err;
    }
    const cloud = await this.deps.cloudContext(settings);

    if (state.status.phase === 'Available') {
      this.profileBack(state);
      return this.verifyAvailable(cloud, state);
    }
    state.status.startedAt ??= new Date().toISOString();
    this.checkTimeout(state);

    if (!state.status.strategy) {
      state.phase('Pending');
      state.reconciling('Validating', `validating instance ${obj.spec.instanceId}`);
      const instance = await loadInstance(cloud, obj);
      checkInstanceState(instance);
      const strategy = chooseStrategy(obj, instance, cloud);
      await checkImageName(cloud, obj);
      state.status.strategy = strategy;
      state.status.progress = 0;
      this.deps.events.normal(obj, 'Validated', `instance ${instance.instanceId} (${instance.rootDeviceType}, ${instance.state}) will be captured with strategy ${strategy}`);
      // Written before anything is created: after a crash, an untagged image of this name is ours to adopt.
      await this.deps.writer.patchStatus(obj, { ...state.status, observedGeneration: state.generation });
    }

    for (let pass = 0; pass < 6; pass++) {
      const before: string | undefined = state.status.phase;
      const result = await this.runStrategy(cloud, state);
      if (state.status.phase !== before) this.deps.events.normal(obj, `Phase${state.status.phase}`, `capture is now ${state.status.phase}`);
      if (result.event) this.deps.events.normal(obj, 'StrategyChanged', result.event);
      if (result.done) return this.complete(cloud, state);
      if (result.checkpoint) await this.deps.writer.patchStatus(obj, { ...state.status, observedGeneration: state.generation });
      if (!result.again) return { requeueAfterMs: Math.min(result.requeueAfterMs ?? this.deps.waitingRequeueMs, this.timeLeft(state) + 100) };
    }
    return { requeueAfterMs: 1_000 };
  }

  private runStrategy(cloud: CloudContext, state: CaptureState): Promise<StepResult> {
    switch (state.status.strategy) {
      case 'CreateImage':
        return runCreateImage(cloud, state);
      case 'Orchestrated':
        return runOrchestrated(cloud, state, { rebootSettleMs: this.deps.rebootSettleMs });
      default:
        // A capture recorded with the retired ViaBundle strategy: no cloud can import a bundle.
        throw new StallError('UnsupportedByCloud', `strategy ${state.status.strategy} is not supported: ${INSTANCE_STORE_REFUSAL}`);
    }
  }

  private async complete(cloud: CloudContext, state: CaptureState): Promise<ReconcileOutcome> {
    const imageId = state.status.imageId;
    // Checked once, whatever the cloud claims to have applied on create.
    const v = await verifyImage(cloud, state);
    this.recordTags(state, v.tags, 'TagsRepaired', 'the cloud did not apply every tag on create; added');
    const differs = v.differences.join('; ');
    if (v.differences.length) {
      state.step('ImageVerified', 'False', 'ImageDiffers', `image ${imageId} differs from what was asked: ${differs}`);
      this.deps.events.warning(state.obj, 'ImageDiffers', `image ${imageId} differs from what was asked: ${differs}`);
    } else {
      state.step('ImageVerified', 'True', 'Succeeded', `name, description, tags on the image and its snapshots${v.devices ? ` and ${v.devices} device mapping(s)` : ''} as asked`);
    }
    await this.launchPermissions(cloud, state);
    state.phase('Available');
    state.status.progress = 100;
    state.status.completedAt ??= new Date().toISOString();
    state.step('ImageRegistered', 'True', 'Succeeded', `image ${imageId} is available`);
    state.ready(v.differences.length ? `image ${imageId} is available, but differs from what was asked (see ImageVerified): ${differs}` : `image ${imageId} is available`);
    this.deps.forget(state.key);
    this.deps.events.normal(state.obj, 'ImageAvailable', `image ${imageId} is available (strategy ${state.status.strategy})`);
    return { requeueAfterMs: this.deps.verifyAvailableEveryMs };
  }

  private async launchPermissions(cloud: CloudContext, state: CaptureState): Promise<void> {
    await applyLaunchPermissions(cloud.gw, state.status.imageId!, state.obj.spec.launchPermissions, state,
      (message) => this.deps.events.normal(state.obj, 'LaunchPermissionsUpdated', message));
  }

  private recordTags(state: CaptureState, tags: TagSyncResult, reason: string, verb: string): void {
    state.status.appliedTags = tags.applied;
    if (tags.added.length) this.deps.events.normal(state.obj, reason, `${verb}: ${tags.added.join('; ')}`);
    if (tags.removed.length) this.deps.events.normal(state.obj, reason, `removed tags no longer in spec.image.tags: ${tags.removed.join('; ')}`);
  }

  /**
   * A finished capture whose CloudProfile is gone or not Ready: the image exists and stays Ready (kstatus Current,
   * Argo CD Healthy); the condition CloudProfileReady=False and one Warning Event say what the operator can no
   * longer do. A deletion that needs the cloud shows that it waits (phase Deleting) when it happens.
   */
  private availableWithoutProfile(state: CaptureState, err: StallError | WaitError): ReconcileOutcome {
    const before = state.condition(PROFILE_CONDITION);
    const message = `${err.message}; image ${state.status.imageId} stays available, but until then the operator cannot check it or apply edits (tags) to it, and deleting this capture waits for the CloudProfile (or the annotation ${ABANDON_ANNOTATION}=true)`;
    state.step(PROFILE_CONDITION, 'False', err.reason, message);
    // A capture stalled by this before (older operators flipped it to Stalled) is Ready again: its image exists.
    if (state.stalledForGeneration || state.condition('Ready')?.status !== 'True') state.ready(`image ${state.status.imageId} is available`);
    if (before?.status !== 'False' || before.reason !== err.reason) this.deps.events.warning(state.obj, err.reason, message);
    return { requeueAfterMs: err instanceof WaitError ? err.requeueAfterMs : 30_000 };
  }

  /** The CloudProfile is Ready again: the condition that said otherwise goes. */
  private profileBack(state: CaptureState): void {
    if (!state.condition(PROFILE_CONDITION)) return;
    state.status.conditions = removeCondition(state.status.conditions, PROFILE_CONDITION);
    if (state.stalledForGeneration || state.condition('Ready')?.status !== 'True') state.ready(`image ${state.status.imageId} is available`);
    this.deps.events.normal(state.obj, 'CloudProfileReady', 'the CloudProfile is Ready again');
  }

  /** A finished capture looks at its image now and then: one deregistered by hand is reported, never re-created. */
  private async verifyAvailable(cloud: CloudContext, state: CaptureState): Promise<ReconcileOutcome> {
    const imageId = state.status.imageId!;
    cloud.images.watch(imageId, state.key);
    const seen = cloud.images.get(imageId);
    if (!seen) return { requeueAfterMs: this.deps.waitingRequeueMs };
    cloud.images.unwatch(state.key);
    if ('notFound' in seen || seen.state === 'deregistered') {
      state.phase('Failed');
      state.step('ImageRegistered', 'False', 'ImageDeregistered', `image ${imageId} was deregistered outside the operator`);
      state.stalled('ImageDeregistered', `image ${imageId} no longer exists in the cloud (deregistered outside the operator): delete and re-create this ImageCapture to capture again`);
      this.deps.events.warning(state.obj, 'ImageDeregistered', `image ${imageId} no longer exists in the cloud`);
      return {};
    }
    if (!sameSet(state.obj.spec.launchPermissions, state.status.launchPermissions)) await this.launchPermissions(cloud, state);
    if (!sameTags(state.obj.spec.image.tags, state.status.appliedTags)) {
      // spec.image.tags was edited: the image and its snapshots follow.
      const v = await verifyImage(cloud, state);
      this.recordTags(state, v.tags, 'TagsUpdated', 'spec.image.tags changed; wrote');
    }
    return { requeueAfterMs: this.deps.verifyAvailableEveryMs };
  }

  /** Time until spec.timeout runs out (a waiting capture is looked at again by then at the latest). */
  private timeLeft(state: CaptureState): number {
    return Math.max(0, Date.parse(state.status.startedAt!) + parseDuration(state.obj.spec.timeout ?? '2h') - Date.now());
  }

  private checkTimeout(state: CaptureState): void {
    if (this.timeLeft(state) <= 0) {
      throw new StallError('Timeout', `the capture did not finish within spec.timeout (${state.obj.spec.timeout ?? '2h'}); temporary cloud objects were removed`);
    }
  }

  private async finalize(state: CaptureState, release: () => void): Promise<ReconcileOutcome> {
    const obj = state.obj;
    this.deps.forget(state.key);
    if (!state.hasFinalizer) return {};
    const policy = obj.spec.deletionPolicy ?? 'Retain';
    const objects = recordedObjects(state);
    const before = state.condition('Reconciling'); // as the last pass left it
    if (!madeAnything(state)) {
      // The strategy is written before any creating call: without it, nothing can exist in the cloud.
      this.deps.events.normal(obj, 'Deleted', 'nothing was created in the cloud; no cloud call needed');
      this.blocked.forget(state.key);
      release();
      await this.deps.writer.removeFinalizer(obj);
      return {};
    }
    if (abandonRequested(obj)) {
      this.deps.events.warning(obj, 'CloudObjectsAbandoned', `${ABANDON_ANNOTATION} is set: left in the cloud without cleanup: ${objects.length ? objects.join(', ') : 'whatever carries the owner tag'} (owner tag ${OWNER_TAG}=${ownerTagValue(obj)})`);
      this.deps.log.warn({ key: state.key, objects }, 'deletion abandoned the cloud objects');
      this.blocked.forget(state.key);
      release();
      await this.deps.writer.removeFinalizer(obj);
      return {};
    }
    state.phase('Deleting');
    let step = `waiting for CloudProfile ${obj.spec.cloudRef?.name ?? '(default)'}`;
    try {
      const cloud = await this.deps.cloudContext((await this.deps.clouds.resolve(obj.metadata.namespace!, obj.spec.cloudRef)).settings);
      step = policy === 'Delete' ? 'removing the image, its snapshots and temporary objects' : 'removing temporary objects (the image is retained)';
      state.reconciling('Deleting', `deletionPolicy ${policy}: ${step}`);
      if (policy === 'Retain' && obj.spec.revokeLaunchPermissionsOnDeletion && state.status.imageId) {
        const revoked = await revokeLaunchPermissions(cloud.gw, state.status.imageId, state.status.launchPermissions);
        if (revoked.length) this.deps.events.normal(obj, 'LaunchPermissionsRevoked', `image ${state.status.imageId} is retained; revoked launch permissions of ${revoked.join(', ')}`);
      }
      const result = await cleanUp(cloud, obj, { includeImage: policy === 'Delete' });
      this.deps.events.normal(obj, 'Deleted', `deletionPolicy ${policy}: removed ${result.deleted.length ? result.deleted.join(', ') : 'nothing'}${result.kept.length ? `; kept ${result.kept.join(', ')}` : ''}`);
      this.deps.log.info({ key: state.key, policy, deleted: result.deleted, kept: result.kept }, 'capture deleted');
    } catch (err) {
      const blocked = deletionBlocked(err, step, objects);
      state.reconciling(blocked.reason, blocked.message);
      const previous = before?.status === 'True' ? before.reason : undefined;
      if (this.blocked.shouldAnnounce(state.key, blocked.reason, previous, err)) this.deps.events.warning(obj, 'DeletionBlocked', blocked.message);
      this.deps.log.warn({ key: state.key, reason: blocked.reason }, blocked.message);
      if (err instanceof WaitError) return { requeueAfterMs: err.requeueAfterMs };
      if (err instanceof StallError) return { requeueAfterMs: 30_000 };
      throw err; // a cloud error (or a Kubernetes conflict): the work queue retries with backoff
    }
    this.blocked.forget(state.key);
    release();
    await this.deps.writer.removeFinalizer(obj);
    return {};
  }

  private async onError(state: CaptureState, err: unknown): Promise<ReconcileOutcome> {
    const obj = state.obj;
    // finalize() already wrote why a deletion waits; the work queue retries with backoff.
    if (obj.metadata.deletionTimestamp) throw err;
    if (err instanceof StallError) {
      const alreadyStalled = state.stalledForGeneration && state.condition('Stalled')?.reason === err.reason;
      state.stalled(err.reason, err.message);
      if (state.status.phase !== 'Available') state.phase('Failed');
      if (!alreadyStalled) {
        this.deps.events.warning(obj, err.reason, err.message);
        this.deps.log.warn({ key: state.key, reason: err.reason }, err.message);
        if (state.status.strategy && isCleanupReason(err.reason)) {
          this.deps.forget(state.key);
          return this.cleanUpAfterFailure(state);
        }
      }
      this.deps.forget(state.key);
      // Stalls about the cloud or its Secret clear themselves when those are fixed: look again later.
      return RECOVERABLE.has(err.reason) ? { requeueAfterMs: 30_000 } : {};
    }
    if (err instanceof WaitError) {
      state.reconciling(err.reason, err.message);
      return { requeueAfterMs: err.requeueAfterMs };
    }
    if (err instanceof CloudError) {
      state.reconciling(err.kind === 'throttled' ? 'Throttled' : 'CloudUnreachable', `${err.message} (retrying)`);
      if (state.changed) await this.deps.writer.patchStatus(obj, { ...state.status, observedGeneration: state.generation }).catch(() => undefined);
    }
    throw err;
  }

  /** Removes what a failed capture made. */
  private async cleanUpAfterFailure(state: CaptureState): Promise<ReconcileOutcome> {
    try {
      const cloud = await this.deps.cloudContext((await this.deps.clouds.resolve(state.obj.metadata.namespace!, state.obj.spec.cloudRef)).settings);
      const result = await cleanUp(cloud, state.obj, { includeImage: true });
      state.status.retainedObjects = result.kept.length ? result.kept : undefined;
      state.step('CleanedUp', 'True', 'Succeeded', result.deleted.length ? `removed ${result.deleted.join(', ')}` : 'nothing to remove');
      if (result.deleted.length) this.deps.events.normal(state.obj, 'CleanedUp', `removed temporary cloud objects: ${result.deleted.join(', ')}`);
      return {};
    } catch (err) {
      this.deps.log.warn({ key: state.key, err: String(err) }, 'cleanup after failure did not finish; retrying');
      state.step('CleanedUp', 'False', 'Retrying', `cleanup did not finish: ${String((err as Error)?.message ?? err)}`);
      return { requeueAfterMs: 10_000 };
    }
  }
}

/** Creating calls happen only after the strategy is recorded; any id in status is a cloud object. */
function madeAnything(state: CaptureState): boolean {
  const s = state.status;
  return !!(s.strategy || s.imageId || s.snapshots?.some((x) => x.snapshotId));
}

/** The cloud objects status knows of, for the Events of a blocked or abandoned deletion. */
function recordedObjects(state: CaptureState): string[] {
  const s = state.status;
  const ids = [s.imageId, ...(s.snapshots ?? []).map((x) => x.snapshotId)];
  return [...new Set(ids.filter((x): x is string => !!x))];
}

/** Present on an Available capture only while its CloudProfile is missing or not Ready. */
const PROFILE_CONDITION = 'CloudProfileReady';

/** Stalls caused by something outside the resource (profile, Secret): re-evaluated on every pass. */
const RECOVERABLE = new Set(['CloudProfileNotFound', 'CredentialsSecretNotFound', 'CredentialsSecretInvalid']);

function isRecoverable(state: CaptureState): boolean {
  return RECOVERABLE.has(state.condition('Stalled')?.reason ?? '');
}

/** Failures after which the capture's partial work is useless and is removed at once. */
function isCleanupReason(reason: string): boolean {
  return ['Timeout', 'SnapshotFailed', 'ImageFailed'].includes(reason);
}
