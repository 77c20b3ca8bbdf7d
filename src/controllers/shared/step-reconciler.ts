// The one reconcile skeleton every cloud-backed kind runs on. It owns what is the same for every kind:
// deletion (deletionPolicy, the abandon annotation, blocked deletions), the finalizer, cloud resolution, the
// timeout, the pass loop over the kind's steps, error classification (Stalled / waiting / retried), status
// writes and the events that go with them.
// Status is written at most once per pass, at its end, and only for a real change (phase, observedGeneration,
// a condition's status or reason: status-change.ts); a step that is about to send a call that must not be
// repeated after a crash persists first (ResourceState.persist). A minor change (progress, messages, ids the
// owner tag finds again) is kept in memory for the next pass and written with the next real change, or after
// STATUS_REFRESH_MS at the latest.
// A kind supplies a KindDefinition: its visible list of steps, its cleanup and the few words that differ.
// Every pass starts from the cache (plus this process's unwritten minor changes) and the cloud, so a restart at
// any point resumes where it stopped.
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ABANDON_ANNOTATION } from '../../api/constants.ts';
import { parseDuration } from '../../api/duration.ts';
import { Reasons, type EventReason, type Reason } from '../../api/reasons.ts';
import { describeAccountId } from '../../cloud/ec2.ts';
import { CloudError } from '../../cloud/errors.ts';
import type { CloudSettings } from '../../cloud/settings.ts';
import type { CloudResolver } from './cloud-resolver.ts';
import type { KindCloud } from './cloud-context.ts';
import { compareIdentity, describeIdentity, identityOf, type CloudIdentity } from './cloud-identity.ts';
import { abandonRequested, BlockedNotices, deletionBlocked } from './deletion.ts';
import { StallError, WaitError } from './outcomes.ts';
import type { ResourceState, StatusShape } from './resource-state.ts';
import type { ResourceWriter } from './resource-writer.ts';

/** When the work queue should look at the resource again (nothing: only on a change). */
export interface Requeue {
  requeueAfterMs?: number;
}

/** What a step tells the skeleton: nothing (its work is done, go to the next step) or how this pass ends. */
export interface StepResult {
  /**
   * Store status now, before going on (a call follows that must not be repeated after a crash). A step whose
   * call follows in the same step uses `state.persist()` instead, after setting what the call starts.
   */
  checkpoint?: boolean;
  /** Run the step list again right away. */
  again?: boolean;
  /** Look again after this long even if no poller wakes the resource. */
  requeueAfterMs?: number;
  /** A Normal event for a change the user acts on (each one is an API-server write: see docs/user-guide.md). */
  event?: { reason: EventReason; message: string };
}

/**
 * One named step. It applies while `when` holds (always without it); `run` returns undefined when the step is
 * done, so the pass goes on to the next one, or a result that ends the pass.
 */
export interface Step<St> {
  name: string;
  when?(state: St): boolean;
  run(cloud: KindCloud, state: St): Promise<StepResult | undefined> | StepResult | undefined;
}

/** What deletion or a failure's cleanup did in the cloud. */
export interface CleanupResult {
  /** Set while a cloud object is still winding down (a task being cancelled): look again later. */
  waiting?: string;
  deleted: string[];
  kept: string[];
}

export type AnyResource<S> = KubernetesObject & { metadata: NonNullable<KubernetesObject['metadata']>; spec: { cloudRef?: { name: string }; timeout?: string; deletionPolicy?: 'Retain' | 'Delete' }; status?: S };

export interface EventSink<T> {
  normal(obj: T, reason: EventReason, message: string): void;
  warning(obj: T, reason: EventReason | Reason, message: string): void;
}

/** What a kind supplies to the skeleton. */
export interface KindDefinition<T extends AnyResource<S>, S extends StatusShape, St extends ResourceState<T, S>> {
  /** The word events and messages use for one resource (`capture`, `bundle`). */
  noun: string;
  newState(obj: T): St;
  /** The steps of one pass, in order; when every step is done the resource is complete. */
  steps: Step<St>[];
  /** Marks the resource done (Ready) and says when to look again. */
  complete(cloud: KindCloud, state: St): Promise<Requeue> | Requeue;
  /**
   * What a pass over a finished resource does (edits that reach the cloud, checks); without it a finished
   * resource is left alone. The cloud is resolved only when asked for: a finished resource stays Ready while its
   * CloudProfile is away unless the pass needs the cloud.
   */
  whenAvailable?(cloud: () => Promise<KindCloud>, state: St): Promise<Requeue>;
  /** Kind-specific marks when the resource stalls (the skeleton already set Stalled and phase Failed). */
  onStall?(state: St, err: StallError): void;
  /** Stall reasons after which the partial work is useless and is removed at once. */
  cleanupReasons: ReadonlySet<Reason>;
  /** Removes a failed resource's partial work; `resumable` says whether a stalled resource still has cleanup to finish. */
  failureCleanup: {
    run(cloud: () => Promise<KindCloud>, state: St): Promise<Requeue>;
    unfinished?(state: St): boolean;
  };
  deletion: {
    /** False when status proves that no creating call was ever made (deletion then needs no cloud call). */
    madeAnything(state: St): boolean;
    /**
     * Whether deletion with Retain has anything to do in the cloud: a finished resource keeps everything and needs
     * the cloud only to revoke launch permissions; an unfinished one removes its temporary objects.
     */
    retainNeedsCloud(state: St): boolean;
    /** The cloud objects status knows of, for the Events of a blocked or abandoned deletion. */
    recordedObjects(state: St): string[];
    /** Event text when nothing was created. */
    nothingMade: string;
    /** Extra words for the abandon Event (where the objects can be found). */
    abandonHint?(state: St): string;
    /** What the cleanup does under a policy, for the Reconciling message. */
    describe(policy: 'Retain' | 'Delete'): string;
    cleanUp(cloud: KindCloud, state: St, policy: 'Retain' | 'Delete'): Promise<CleanupResult>;
  };
  /** Text of the Timeout stall after `spec.timeout (...)`. */
  timeoutConsequence: string;
  /**
   * A failed resource whose spec was edited starts a new attempt: clear what status says about the failed one
   * (set fields to undefined so the status write removes them). What the old attempt left in the cloud is found
   * again by the steps through the owner tag, so nothing is referenced that no longer exists.
   */
  newAttempt(state: St): void;
}

export interface StepReconcilerDeps<T, S> {
  get(namespace: string, name: string): T | undefined;
  clouds: CloudResolver;
  cloudView(settings: CloudSettings): Promise<KindCloud>;
  /** Drop every poller registration of a resource that is gone or finished. */
  forget(key: string): void;
  writer: ResourceWriter<T, S>;
  events: EventSink<T>;
  log: Logger;
  /** Fallback look when no poller wakes a waiting resource. */
  waitingRequeueMs: number;
  /** How often a deletion looks at an object that is winding down. */
  cancelPollMs: number;
  /** Longest a minor status change waits in memory for a real one (default STATUS_REFRESH_MS; 0 writes every change). */
  statusRefreshMs?: number;
}

/** Stalls caused by something outside the resource (profile, Secret, a repointed profile): re-evaluated on every pass. */
export const RECOVERABLE: ReadonlySet<Reason> = new Set([Reasons.CloudProfileNotFound, Reasons.CredentialsSecretNotFound, Reasons.CredentialsSecretInvalid, Reasons.CloudChanged]);
/** How often a recoverable stall or a blocked deletion looks again. */
const RECHECK_MS = 30_000;
/** Steps run at most this many times in one pass (a step asking `again` each time is a bug, not a loop). */
const MAX_PASSES = 6;
/** A minor status change (progress, messages) waits at most this long in memory for a real one to go with. */
export const STATUS_REFRESH_MS = 120_000;

/** A pass's minor status change not written yet, valid while the stored status it was computed on stays. */
interface Unwritten<S> {
  uid: string | undefined;
  /** Digest of the stored status the minor changes were made on (the whole JSON would double what is kept). */
  basedOn: string;
  status: S;
  since: number;
}

export class StepReconciler<T extends AnyResource<S>, S extends StatusShape & { startedAt?: string; cloud?: CloudIdentity }, St extends ResourceState<T, S>> {
  private readonly blocked = new BlockedNotices();
  /** The account of each access key (`profile|key`), asked once when a key differs from the recorded one. */
  private readonly accounts = new Map<string, Promise<string | undefined>>();
  private readonly kind: KindDefinition<T, S, St>;
  private readonly deps: StepReconcilerDeps<T, S>;
  /** Minor changes kept for the next pass, by resource key (one entry per resource in flight at most). */
  private readonly unwritten = new Map<string, Unwritten<S>>();

  constructor(kind: KindDefinition<T, S, St>, deps: StepReconcilerDeps<T, S>) {
    this.kind = kind;
    this.deps = deps;
  }

  /** Resources with a minor status change not written yet (for tests and metrics). */
  get unwrittenCount(): number {
    return this.unwritten.size;
  }

  async reconcile(key: string): Promise<Requeue> {
    const [namespace, name] = key.split('/') as [string, string];
    const obj = this.deps.get(namespace, name);
    if (!obj) {
      this.unwritten.delete(key);
      this.deps.forget(key);
      return {};
    }
    const state = this.kind.newState(obj);
    this.restoreUnwritten(state);
    state.bindStorer(() => this.store(state));
    let released = false;
    try {
      const outcome = await this.run(state, () => (released = true));
      state.observe();
      return outcome;
    } catch (err) {
      // Awaited here: a bare `return` would leave the rejected promise unhandled while `finally` writes status.
      const outcome = await this.onError(state, err);
      state.observe();
      return outcome;
    } finally {
      // At most one status write at the end of the pass (a released resource is gone once its finalizer is removed).
      if (released) this.unwritten.delete(key);
      else await this.settle(state);
    }
  }

  /** This process's minor changes of the last pass, unless the stored status changed since (or the object is new). */
  private restoreUnwritten(state: St): void {
    const kept = this.unwritten.get(state.key);
    if (!kept) return;
    if (kept.uid !== state.obj.metadata.uid || kept.basedOn !== digest(state.storedJson)) {
      this.unwritten.delete(state.key);
      return;
    }
    state.status = structuredClone(kept.status);
  }

  /** End of a pass: write a real change; keep a minor one in memory until a real one comes (or it is too old). */
  private async settle(state: St): Promise<void> {
    const change = state.change;
    const kept = this.unwritten.get(state.key);
    const since = kept?.since ?? Date.now();
    if (change === 'none') {
      this.unwritten.delete(state.key);
      return;
    }
    if (change === 'real' || Date.now() - since >= (this.deps.statusRefreshMs ?? STATUS_REFRESH_MS)) {
      await this.store(state);
      return;
    }
    this.unwritten.set(state.key, { uid: state.obj.metadata.uid, basedOn: digest(state.storedJson), status: structuredClone(state.status), since });
  }

  /** Writes the working status if it differs from the stored one (one merge patch of the whole status). */
  private async store(state: St): Promise<void> {
    if (state.change === 'none') return;
    const status = { ...state.status, observedGeneration: state.generation };
    await this.deps.writer.patchStatus(state.obj, status);
    state.markStored(status);
    this.unwritten.delete(state.key);
  }

  private async cloudFor(state: St): Promise<KindCloud> {
    return (await this.resolveCloud(state)).cloud;
  }

  /**
   * The resource's cloud, refused (CloudChanged) when its CloudProfile now points at another endpoint, region or
   * account than the one its objects were made in: nothing is looked up, changed or deleted there.
   */
  private async resolveCloud(state: St): Promise<{ cloud: KindCloud; identity: CloudIdentity }> {
    const obj = state.obj;
    const { settings } = await this.deps.clouds.resolve(obj.metadata.namespace!, obj.spec.cloudRef);
    const cloud = await this.deps.cloudView(settings);
    const identity = identityOf(settings, state.account);
    const recorded = state.status.cloud;
    if (!recorded) {
      // Made by an operator that did not record it: the best knowledge is the cloud the profile names now.
      if (this.kind.deletion.madeAnything(state)) state.status.cloud = identity;
      return { cloud, identity };
    }
    const same = compareIdentity(recorded, identity);
    if (same === 'otherCloud') throw this.cloudChanged(state, recorded, identity);
    if (same === 'otherKey') {
      // Another key at the same endpoint: a rotated key of the same account is the same cloud.
      const account = await this.accountOf(cloud, settings.id, identity.credentials);
      if (!recorded.accountId || account !== recorded.accountId) throw this.cloudChanged(state, recorded, { ...identity, ...(account ? { accountId: account } : {}) });
      state.status.cloud = { ...recorded, credentials: identity.credentials };
    }
    return { cloud, identity };
  }

  private accountOf(cloud: KindCloud, profile: string, credentials: string): Promise<string | undefined> {
    const key = `${profile}|${credentials}`;
    let asked = this.accounts.get(key);
    if (!asked) {
      asked = describeAccountId(cloud.gw).catch((err: unknown) => {
        this.accounts.delete(key);
        // Transient: the pass is retried. Refused: the account cannot be told, so it is not taken as the same.
        if (err instanceof CloudError && (err.kind === 'retryable' || err.kind === 'throttled')) throw err;
        return undefined;
      });
      this.accounts.set(key, asked);
      if (this.accounts.size > 1_000) this.accounts.delete(this.accounts.keys().next().value!);
    }
    return asked;
  }

  private cloudChanged(state: St, recorded: CloudIdentity, now: CloudIdentity): StallError {
    const noun = this.kind.noun;
    const profile = `CloudProfile ${state.obj.metadata.namespace}/${state.obj.spec.cloudRef?.name ?? '(default)'}`;
    return new StallError(Reasons.CloudChanged, `the cloud objects of this ${noun} were created in ${describeIdentity(recorded)}, but ${profile} now points at `
      + `${describeIdentity(now)}: the operator does not look for, change or delete them there. Point the CloudProfile back at that cloud and account to go on; `
      + `to let this ${noun} go without touching them, delete it (with deletionPolicy Delete, also annotate it ${ABANDON_ANNOTATION}=true)`);
  }

  /** Before the first creating call's checkpoint: the cloud it is sent to. */
  private recordCloud(state: St, identity: CloudIdentity): void {
    if (!state.status.cloud && this.kind.deletion.madeAnything(state)) state.status.cloud = { ...identity, ...(state.account ? { accountId: state.account } : {}) };
  }

  private async run(state: St, release: () => void): Promise<Requeue> {
    const obj = state.obj;
    if (obj.metadata.deletionTimestamp) return this.finalize(state, release);
    if (state.stalledForGeneration && !RECOVERABLE.has(state.condition('Stalled')?.reason as Reason)) {
      // A failed resource whose temporary objects were still busy finishes its cleanup.
      if (this.kind.failureCleanup.unfinished?.(state)) return this.kind.failureCleanup.run(() => this.cloudFor(state), state);
      return {};
    }
    // Stalled for an earlier generation: only an edit (a new generation) gets here, never a resync or a restart.
    if (state.status.phase === 'Failed' && state.condition('Stalled')?.status === 'True') this.startNewAttempt(state);
    // Done: the pass still records the new generation (in reconcile), so an edit reads as acknowledged.
    if (state.status.phase === 'Available') return this.kind.whenAvailable ? this.kind.whenAvailable(() => this.cloudFor(state), state) : {};
    if (!state.hasFinalizer) await this.deps.writer.ensureFinalizer(obj);

    const { cloud, identity } = await this.resolveCloud(state);
    // A step persists before a creating call: with the cloud that call goes to.
    state.bindStorer(() => {
      this.recordCloud(state, identity);
      return this.store(state);
    });
    state.status.startedAt ??= new Date().toISOString();
    if (this.timeLeft(state) <= 0) {
      throw new StallError(Reasons.Timeout, `the ${this.kind.noun} did not finish within spec.timeout (${obj.spec.timeout ?? '2h'}); ${this.kind.timeoutConsequence}`);
    }

    for (let pass = 0; pass < MAX_PASSES; pass++) {
      // Phases are in status (kubectl get shows them): no Event each, only for what the user acts on.
      const result = await this.runSteps(cloud, state);
      if (!result) {
        this.recordCloud(state, identity);
        const next = await this.kind.complete(cloud, state);
        this.deps.forget(state.key);
        return next;
      }
      if (result.event) this.deps.events.normal(obj, result.event.reason, result.event.message);
      this.recordCloud(state, identity);
      if (result.checkpoint) await this.store(state);
      if (!result.again) return { requeueAfterMs: Math.min(result.requeueAfterMs ?? this.deps.waitingRequeueMs, Math.max(100, this.timeLeft(state) + 100)) };
    }
    return { requeueAfterMs: 1_000 };
  }

  /** A failed resource was edited: a fresh attempt, with its own timeout and progress, from what the cloud holds. */
  private startNewAttempt(state: St): void {
    const stalled = state.condition('Stalled')!;
    // A stall about the CloudProfile or its Secret is not a failed attempt: it goes on where it stopped.
    if (RECOVERABLE.has(stalled.reason as Reason)) return;
    this.kind.newAttempt(state);
    state.status.startedAt = undefined;
    state.phase('Pending' as never);
    state.reconciling(Reasons.InProgress, `spec changed (generation ${state.generation}) after ${stalled.reason}: starting a new attempt`);
    this.deps.events.normal(state.obj, 'NewAttempt', `spec changed (generation ${state.generation}) after ${stalled.reason}: starting a new attempt from what still exists in the cloud`);
  }

  /** The first step with something to do ends the pass; undefined when every step is done. */
  private async runSteps(cloud: KindCloud, state: St): Promise<StepResult | undefined> {
    for (const step of this.kind.steps) {
      if (step.when && !step.when(state)) continue;
      const result = await step.run(cloud, state);
      if (result) return result;
    }
    return undefined;
  }

  /** Time until spec.timeout runs out (a waiting resource is looked at again by then at the latest). */
  private timeLeft(state: St): number {
    return Date.parse(state.status.startedAt!) + parseDuration(state.obj.spec.timeout ?? '2h') - Date.now();
  }

  private async finalize(state: St, release: () => void): Promise<Requeue> {
    const obj = state.obj;
    const { deletion } = this.kind;
    this.deps.forget(state.key);
    if (!state.hasFinalizer) return {};
    const policy = obj.spec.deletionPolicy ?? 'Retain';
    const objects = deletion.recordedObjects(state);
    const before = state.condition('Reconciling'); // as the last pass left it
    if (!deletion.madeAnything(state)) {
      this.deps.events.normal(obj, 'Deleted', deletion.nothingMade);
      return this.release(state, release);
    }
    if (abandonRequested(obj)) {
      const what = objects.length ? objects.join(', ') : 'whatever carries the owner tag';
      this.deps.events.warning(obj, 'CloudObjectsAbandoned', `${ABANDON_ANNOTATION} is set: left in the cloud without cleanup: ${what}${deletion.abandonHint?.(state) ?? ''}`);
      this.deps.log.warn({ key: state.key, objects }, 'deletion abandoned the cloud objects');
      return this.release(state, release);
    }
    // Retain of a finished resource keeps everything: no cloud, whatever became of its CloudProfile or Secret.
    if (policy === 'Retain' && !deletion.retainNeedsCloud(state)) {
      this.deps.events.normal(obj, 'Deleted', `deletionPolicy Retain: kept ${objects.length ? objects.join(', ') : 'nothing'}; no cloud call needed`);
      return this.release(state, release);
    }
    if (state.status.phase !== 'Deleting') state.phase('Deleting' as never);
    let step = `waiting for CloudProfile ${obj.spec.cloudRef?.name ?? '(default)'}`;
    let reached = false;
    try {
      const cloud = await this.cloudFor(state);
      reached = true;
      step = deletion.describe(policy);
      state.reconciling(Reasons.Deleting, `deletionPolicy ${policy}: ${step}`);
      const result = await deletion.cleanUp(cloud, state, policy);
      if (result.waiting) {
        // Said by status (Reconciling: Cancelling), not by an Event per look.
        state.reconciling(Reasons.Cancelling, result.waiting);
        return { requeueAfterMs: this.deps.cancelPollMs };
      }
      this.deps.events.normal(obj, 'Deleted', `deletionPolicy ${policy}: removed ${result.deleted.length ? result.deleted.join(', ') : 'nothing'}${result.kept.length ? `; kept ${result.kept.join(', ')}` : ''}`);
      this.deps.log.info({ key: state.key, policy, deleted: result.deleted, kept: result.kept }, `${this.kind.noun} deleted`);
    } catch (err) {
      if (policy === 'Retain' && !reached && (err instanceof StallError || err instanceof WaitError)) {
        // Retain keeps the cloud objects anyway: a cloud this resource cannot use (CloudProfile or Secret gone or not
        // Ready, another cloud) does not hold the deletion; its unfinished temporary objects stay too.
        const what = objects.length ? objects.join(', ') : 'whatever carries the owner tag';
        this.deps.events.warning(obj, 'RetainedWithoutCloud', `deletionPolicy Retain, and ${err.message}: released without a cloud call; left in the cloud: ${what}${deletion.abandonHint?.(state) ?? ''}`);
        return this.release(state, release);
      }
      const blocked = deletionBlocked(err, step, objects);
      state.reconciling(blocked.reason, blocked.message);
      const previous = before?.status === 'True' ? before.reason : undefined;
      if (this.blocked.shouldAnnounce(state.key, blocked.reason, previous, err)) this.deps.events.warning(obj, 'DeletionBlocked', blocked.message);
      this.deps.log.warn({ key: state.key, reason: blocked.reason }, blocked.message);
      if (err instanceof WaitError) return { requeueAfterMs: err.requeueAfterMs };
      if (err instanceof StallError) return { requeueAfterMs: RECHECK_MS };
      throw err; // a cloud error (or a Kubernetes conflict): the work queue retries with backoff
    }
    return this.release(state, release);
  }

  private async release(state: St, release: () => void): Promise<Requeue> {
    this.blocked.forget(state.key);
    release();
    await this.deps.writer.removeFinalizer(state.obj);
    return {};
  }

  private async onError(state: St, err: unknown): Promise<Requeue> {
    const obj = state.obj;
    // finalize() already wrote why a deletion waits; the work queue retries with backoff.
    if (obj.metadata.deletionTimestamp) throw err;
    if (err instanceof StallError) {
      const alreadyStalled = state.stalledForGeneration && state.condition('Stalled')?.reason === err.reason;
      state.stalled(err.reason, err.message);
      if (state.status.phase !== 'Available') state.phase('Failed' as never);
      this.kind.onStall?.(state, err);
      this.deps.forget(state.key);
      if (!alreadyStalled) {
        this.deps.events.warning(obj, err.reason, err.message);
        this.deps.log.warn({ key: state.key, reason: err.reason }, err.message);
        if (this.kind.cleanupReasons.has(err.reason)) return this.kind.failureCleanup.run(() => this.cloudFor(state), state);
      }
      // Stalls about the cloud or its Secret clear themselves when those are fixed: look again later.
      return RECOVERABLE.has(err.reason) ? { requeueAfterMs: RECHECK_MS } : {};
    }
    if (err instanceof WaitError) {
      state.reconciling(err.reason, err.message);
      return { requeueAfterMs: err.requeueAfterMs };
    }
    if (err instanceof CloudError) {
      state.reconciling(err.kind === 'throttled' ? Reasons.Throttled : Reasons.CloudUnreachable, `${err.message} (retrying)`);
    }
    throw err; // the status written in reconcile's finally says why it retries
  }
}

function digest(json: string): string {
  return createHash('sha1').update(json).digest('base64');
}
