// The working copy of one resource's status during a reconcile: steps change it, the reconciler writes it back
// once (or at a checkpoint before a call that must not be repeated after a crash).
import type { KubernetesObject } from '@kubernetes/client-node';
import { FINALIZER } from '../../api/constants.ts';
import type { Condition } from '../../api/types.ts';
import type { Reason } from '../../api/reasons.ts';
import {
  getCondition, isObserved, markReady, markReconciling, markStalled, observeGeneration, setCondition, type ConditionType,
} from '../../api/conditions.ts';

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
  private readonly original: string;

  constructor(obj: T) {
    this.obj = obj;
    this.status = structuredClone(obj.status ?? ({} as S));
    this.original = JSON.stringify(this.status);
  }

  get key(): string {
    return `${this.obj.metadata?.namespace}/${this.obj.metadata?.name}`;
  }

  get generation(): number {
    return this.obj.metadata?.generation ?? 0;
  }

  get changed(): boolean {
    return JSON.stringify(this.status) !== this.original;
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
