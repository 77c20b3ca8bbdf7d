// One pass over one InstanceBundle: deletion, finalizer, cloud, timeout, then the bundle steps. Every pass starts
// from what the cloud and status say, so a restart at any point resumes where it stopped.
import type { Logger } from 'pino';
import { parseDuration } from '../../api/duration.ts';
import type { InstanceBundle } from '../../api/types.ts';
import { CloudError } from '../../cloud/errors.ts';
import type { CloudSettings } from '../../cloud/settings.ts';
import type { CloudResolver } from '../shared/cloud-resolver.ts';
import { StallError, WaitError } from '../shared/outcomes.ts';
import { abandonRequested, BlockedNotices, deletionBlocked } from '../shared/deletion.ts';
import { ABANDON_ANNOTATION } from '../../api/constants.ts';
import { tearDown } from './cleanup.ts';
import type { BundleCloud, BundleEvents, BundleWriter } from './ports.ts';
import { BundleWork } from './state.ts';
import { runBundleSteps } from './steps.ts';
import { applyLaunchPermissions, revokeLaunchPermissions, sameSet } from '../shared/launch-permissions.ts';

export interface InstanceBundleDeps {
  getBundle(namespace: string, name: string): InstanceBundle | undefined;
  clouds: CloudResolver;
  cloudContext(settings: CloudSettings): Promise<BundleCloud>;
  /** Drop every poller registration of a resource that is gone or finished. */
  forget(key: string): void;
  writer: BundleWriter;
  events: BundleEvents;
  log: Logger;
  /** Fallback look when no poller wakes a waiting bundle. */
  waitingRequeueMs: number;
  /** How often a deletion looks at a task that is being cancelled. */
  cancelPollMs: number;
}

export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

/** BundleStored is written before BundleInstance is sent: without it (and without ids) nothing exists in the cloud. */
function startedAnything(work: BundleWork): boolean {
  return !!(work.status.bundleId || work.status.imageId || work.condition('BundleStored'));
}

function recordedObjects(work: BundleWork): string[] {
  const s = work.status;
  const { bucket, prefix } = work.obj.spec.storage;
  return [s.imageId, s.bundleId && `bundle task ${s.bundleId}`, `${bucket}/${prefix}.*`].filter((x): x is string => !!x);
}

/** Stalls caused by something outside the resource (profile, Secret): re-evaluated on every pass. */
const RECOVERABLE = new Set(['CloudProfileNotFound', 'CredentialsSecretNotFound', 'CredentialsSecretInvalid']);
/** Failures after which a running task is cancelled and partial objects removed at once. */
const CLEANUP_REASONS = new Set(['Timeout', 'BundleFailed']);

export class InstanceBundleReconciler {
  private readonly blocked = new BlockedNotices();
  private readonly deps: InstanceBundleDeps;

  constructor(deps: InstanceBundleDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const [namespace, name] = key.split('/') as [string, string];
    const obj = this.deps.getBundle(namespace, name);
    if (!obj) {
      this.deps.forget(key);
      return {};
    }
    const work = new BundleWork(obj);
    let released = false;
    try {
      const out = await this.run(work, () => (released = true));
      work.observe();
      return out;
    } catch (err) {
      const out = await this.onError(work, err);
      work.observe();
      return out;
    } finally {
      if (work.changed && !released) {
        await this.deps.writer.patchStatus(obj, { ...work.status, observedGeneration: work.generation });
      }
    }
  }

  private async run(work: BundleWork, release: () => void): Promise<ReconcileOutcome> {
    const obj = work.obj;
    if (obj.metadata.deletionTimestamp) return this.finalize(work, release);
    // Done: only spec.launchPermissions of a registered image acts on an edit (deletionPolicy acts at deletion);
    // the pass still records the new generation (in reconcile), so the edit reads as acknowledged.
    if (work.status.phase === 'Available') {
      if (work.status.imageId && !sameSet(obj.spec.launchPermissions, work.status.launchPermissions)) {
        await this.launchPermissions(await this.cloudFor(obj), work);
      }
      return {};
    }
    if (work.stalledForGeneration && !RECOVERABLE.has(work.condition('Stalled')?.reason ?? '')) return {};
    if (!work.hasFinalizer) await this.deps.writer.ensureFinalizer(obj);

    const cloud = await this.cloudFor(obj);
    work.status.startedAt ??= new Date().toISOString();
    this.checkTimeout(work);

    for (let pass = 0; pass < 6; pass++) {
      const before: string | undefined = work.status.phase;
      const result = await runBundleSteps(cloud, work, this.deps.events);
      if (work.status.phase !== before) this.deps.events.normal(obj, `Phase${work.status.phase}`, `bundle is now ${work.status.phase}`);
      if (result.done) {
        if (work.status.imageId) await this.launchPermissions(cloud, work);
        return this.complete(work);
      }
      if (result.checkpoint) await this.deps.writer.patchStatus(obj, { ...work.status, observedGeneration: work.generation });
      if (!result.again) return { requeueAfterMs: Math.min(result.requeueAfterMs ?? this.deps.waitingRequeueMs, this.untilTimeout(work)) };
    }
    return { requeueAfterMs: 1_000 };
  }

  private async cloudFor(obj: InstanceBundle): Promise<BundleCloud> {
    const { settings } = await this.deps.clouds.resolve(obj.metadata.namespace!, obj.spec.cloudRef);
    return this.deps.cloudContext(settings);
  }

  private async launchPermissions(cloud: BundleCloud, work: BundleWork): Promise<void> {
    await applyLaunchPermissions(cloud.gw, work.status.imageId!, work.obj.spec.launchPermissions, work,
      (message) => this.deps.events.normal(work.obj, 'LaunchPermissionsUpdated', message));
  }

  private complete(work: BundleWork): ReconcileOutcome {
    const s = work.status;
    work.phase('Available');
    s.progress = 100;
    s.completedAt ??= new Date().toISOString();
    const what = s.imageId ? `image ${s.imageId} is available from ${s.manifestLocation}` : `bundle stored at ${s.manifestLocation}`;
    work.ready(what);
    this.deps.forget(work.key);
    this.deps.events.normal(work.obj, s.imageId ? 'ImageAvailable' : 'BundleAvailable', what);
    return {};
  }

  /** A waiting bundle is looked at again when its timeout falls due, even if the cloud shows no change. */
  private untilTimeout(work: BundleWork): number {
    const left = Date.parse(work.status.startedAt!) + parseDuration(work.obj.spec.timeout ?? '2h') - Date.now();
    return Math.max(100, left + 50);
  }

  private checkTimeout(work: BundleWork): void {
    const text = work.obj.spec.timeout ?? '2h';
    if (Date.now() - Date.parse(work.status.startedAt!) > parseDuration(text)) {
      throw new StallError('Timeout', `the bundle did not finish within spec.timeout (${text}); a running bundle task was cancelled and partial objects removed`);
    }
  }

  private async finalize(work: BundleWork, release: () => void): Promise<ReconcileOutcome> {
    const obj = work.obj;
    this.deps.forget(work.key);
    if (!work.hasFinalizer) return {};
    const policy = obj.spec.deletionPolicy ?? 'Retain';
    const objects = recordedObjects(work);
    const before = work.condition('Reconciling'); // as the last pass left it
    if (!startedAnything(work)) {
      this.deps.events.normal(obj, 'Deleted', 'no bundle task was started; no cloud call needed');
      this.blocked.forget(work.key);
      release();
      await this.deps.writer.removeFinalizer(obj);
      return {};
    }
    if (abandonRequested(obj)) {
      this.deps.events.warning(obj, 'CloudObjectsAbandoned', `${ABANDON_ANNOTATION} is set: left in the cloud without cleanup: ${objects.join(', ')}`);
      this.deps.log.warn({ key: work.key, objects }, 'deletion abandoned the cloud objects');
      this.blocked.forget(work.key);
      release();
      await this.deps.writer.removeFinalizer(obj);
      return {};
    }
    if (work.status.phase !== 'Deleting') {
      work.phase('Deleting');
      this.deps.events.normal(obj, 'PhaseDeleting', `deleting with deletionPolicy ${policy}`);
    }
    let step = `waiting for CloudProfile ${obj.spec.cloudRef?.name ?? '(default)'}`;
    try {
      const cloud = await this.cloudFor(obj);
      step = policy === 'Delete' ? 'cancelling a running task, deregistering the image and removing the bundle' : 'cancelling a running task and removing a partial bundle';
      work.reconciling('Deleting', `deletionPolicy ${policy}: ${step}`);
      if (policy === 'Retain' && obj.spec.revokeLaunchPermissionsOnDeletion && work.status.imageId) {
        const revoked = await revokeLaunchPermissions(cloud.gw, work.status.imageId, work.status.launchPermissions);
        if (revoked.length) this.deps.events.normal(obj, 'LaunchPermissionsRevoked', `image ${work.status.imageId} is retained; revoked launch permissions of ${revoked.join(', ')}`);
      }
      const result = await tearDown(cloud, work, { deleteAll: policy === 'Delete' });
      if (result.waiting) {
        work.reconciling('Cancelling', result.waiting);
        this.deps.events.normal(obj, 'Cancelling', result.waiting);
        return { requeueAfterMs: this.deps.cancelPollMs };
      }
      this.deps.events.normal(obj, 'Deleted', `deletionPolicy ${policy}: removed ${result.deleted.length ? result.deleted.join(', ') : 'nothing'}${result.kept.length ? `; kept ${result.kept.join(', ')}` : ''}`);
      this.deps.log.info({ key: work.key, policy, deleted: result.deleted, kept: result.kept }, 'bundle deleted');
    } catch (err) {
      const blocked = deletionBlocked(err, step, objects);
      work.reconciling(blocked.reason, blocked.message);
      const previous = before?.status === 'True' ? before.reason : undefined;
      if (this.blocked.shouldAnnounce(work.key, blocked.reason, previous, err)) this.deps.events.warning(obj, 'DeletionBlocked', blocked.message);
      this.deps.log.warn({ key: work.key, reason: blocked.reason }, blocked.message);
      if (err instanceof WaitError) return { requeueAfterMs: err.requeueAfterMs };
      if (err instanceof StallError) return { requeueAfterMs: 30_000 };
      throw err; // a cloud error (or a Kubernetes conflict): the work queue retries with backoff
    }
    this.blocked.forget(work.key);
    release();
    await this.deps.writer.removeFinalizer(obj);
    return {};
  }

  private async onError(work: BundleWork, err: unknown): Promise<ReconcileOutcome> {
    const obj = work.obj;
    // finalize() already wrote why a deletion waits; the work queue retries with backoff.
    if (obj.metadata.deletionTimestamp) throw err;
    if (err instanceof StallError) {
      const already = work.stalledForGeneration && work.condition('Stalled')?.reason === err.reason;
      work.stalled(err.reason, err.message);
      work.phase('Failed');
      // Only once a task was being started: BundleStored also tells deletion to look for one.
      const stored = work.condition('BundleStored');
      if (['BundleFailed', 'Timeout'].includes(err.reason) && stored && stored.status !== 'True') {
        work.step('BundleStored', 'False', err.reason, err.message);
      }
      if (!work.status.completedAt && err.reason === 'BundleFailed') work.status.completedAt = new Date().toISOString();
      if (!already) {
        this.deps.events.warning(obj, err.reason, err.message);
        this.deps.log.warn({ key: work.key, reason: err.reason }, err.message);
        if (CLEANUP_REASONS.has(err.reason)) await this.cleanUpAfterFailure(work);
      }
      this.deps.forget(work.key);
      return RECOVERABLE.has(err.reason) ? { requeueAfterMs: 30_000 } : {};
    }
    if (err instanceof WaitError) {
      work.reconciling(err.reason, err.message);
      return { requeueAfterMs: err.requeueAfterMs };
    }
    if (err instanceof CloudError) {
      work.reconciling(err.kind === 'throttled' ? 'Throttled' : 'CloudUnreachable', `${err.message} (retrying)`);
    }
    throw err; // the status written in reconcile's finally says why it retries
  }

  /** Best effort: cancel a still-running task and drop partial objects; deletion finishes whatever is left. */
  private async cleanUpAfterFailure(work: BundleWork): Promise<void> {
    try {
      const result = await tearDown(await this.cloudFor(work.obj), work, { deleteAll: false });
      if (result.waiting) this.deps.events.normal(work.obj, 'Cancelling', result.waiting);
      if (result.deleted.length) this.deps.events.normal(work.obj, 'CleanedUp', `removed ${result.deleted.join(', ')}`);
    } catch (err) {
      this.deps.log.warn({ key: work.key, err: String(err) }, 'cleanup after failure did not finish; it is retried on deletion');
    }
  }
}
