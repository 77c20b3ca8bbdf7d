// The working copy of one resource's status during a reconcile: steps change it, the reconciler writes it back
// once at the end of the pass when the change is real (status-change.ts), or earlier when a step persists it
// before a call that must not be repeated after a crash.
import type { KubernetesObject } from '@kubernetes/client-node';
import { FINALIZER } from '../../api/constants.ts';
import type { Condition } from '../../api/types.ts';
import type { Reason } from '../../api/reasons.ts';
import {
  getCondition, isObserved, markReady, markReconciling, markStalled, observeGeneration, setCondition, type ConditionType,
} from '../../api/conditions.ts';
import { canonicalJson, statusChange, type StatusChange } from './status-change.ts';

export interface StatusShape {
  phase?: string;
  conditions?: Condition[];
  observedGeneration?: number;
}

export class ResourceState<T extends KubernetesObject & { status?: S }, S extends StatusShape, P extends string = NonNullable<S['phase']>> {
  readonly obj: T;
  status: S;
  /** The account the cloud named as the source instance's owner in this pass (recorded with the cloud identity). */
  account?: string;
  /** The status as the API server has it: the cached object's, then whatever this pass wrote. */
  private stored: S;
  private storer: (() => Promise<void>) | undefined;

  constructor(obj: T) {
    this.obj = obj;
    // The cached object is never changed in place, so the stored status is read from it; the working copy is cloned.
    this.stored = obj.status ?? ({} as S);
    this.status = structuredClone(this.stored);
  }

  /**
   * The object with the working status: what this reconcile knows, including the minor changes of earlier passes
   * not written yet (the signed result of a creating call, for one). Proofs read from status use it.
   */
  get current(): T {
    return { ...this.obj, status: this.status };
  }

  get key(): string {
    return `${this.obj.metadata?.namespace}/${this.obj.metadata?.name}`;
  }

  get generation(): number {
    return this.obj.metadata?.generation ?? 0;
  }

  /** How the working status differs from the stored one. */
  get change(): StatusChange {
    return statusChange(this.stored, this.status, this.minorFields);
  }

  /**
   * Status fields whose change alone waits for the next real one (status-change.ts): progress, and in a kind the
   * ids and states of cloud objects in flight, which the owner tag finds again after a restart.
   */
  get minorFields(): readonly string[] {
    return ['progress'];
  }

  /** The stored status as JSON (what a status kept in memory between passes was computed on top of). */
  get storedJson(): string {
    return canonicalJson(this.stored);
  }

  /** The reconciler records what it wrote. */
  markStored(status: S): void {
    this.stored = structuredClone(status);
  }

  /** Set by the reconciler: how `persist` writes. */
  bindStorer(storer: () => Promise<void>): void {
    this.storer = storer;
  }

  /**
   * A call follows that must not be repeated after a crash (a creating call, a reboot): store the status now if
   * it differs from what is stored. Steps set what the call starts (phase, conditions) before persisting, so that
   * one write says both "validated" and "this call may have been sent"; what the call returns (ids) is recorded
   * with the next real change, and after a crash the owner-tag look-ups find it.
   */
  async persist(): Promise<void> {
    if (!this.storer) throw new Error(`${this.key}: persist() outside a reconcile`);
    await this.storer();
  }

  get hasFinalizer(): boolean {
    return (this.obj.metadata?.finalizers ?? []).includes(FINALIZER);
  }

  phase(phase: P): void {
    this.status.phase = phase;
  }

  /** Sets a step condition (typed: only declared condition types and reasons can be written). */
  step(type: ConditionType, status: 'True' | 'False' | 'Unknown', reason: Reason, message: string): void {
    this.status.conditions = setCondition(this.status.conditions ?? [], { type, status, reason, message }, this.generation);
  }

  condition(type: ConditionType): Condition | undefined {
    return getCondition(this.status.conditions ?? [], type);
  }

  reconciling(reason: Reason, message: string): void {
    this.status = markReconciling(this.status, reason, message, this.generation);
  }

  stalled(reason: Reason, message: string): void {
    this.status = markStalled(this.status, reason, message, this.generation);
  }

  ready(message: string): void {
    this.status = markReady(this.status, message, this.generation);
  }

  /**
   * This pass looked at the current generation to the end: record it on the status and every condition. Only
   * then: a pass cut short by an unexpected error has not judged the new spec.
   */
  observe(): void {
    if (!isObserved(this.status, this.generation)) this.status = observeGeneration(this.status, this.generation);
  }

  /** True when a Stalled condition for this generation says the resource cannot go on without a change. */
  get stalledForGeneration(): boolean {
    const c = this.condition('Stalled');
    return c?.status === 'True' && (c.observedGeneration ?? 0) >= this.generation;
  }
}
