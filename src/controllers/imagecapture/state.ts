// The working copy of one ImageCapture's status during a reconcile: steps change it, the reconciler writes it
// back once (or at a checkpoint before a call that must not be repeated).
import { FINALIZER } from '../../api/constants.ts';
import type { CapturePhase, ImageCapture, ImageCaptureStatus, SnapshotStatus } from '../../api/types.ts';
import { getCondition, markReady, markReconciling, markStalled, setCondition } from '../../api/conditions.ts';

export class CaptureState {
  readonly obj: ImageCapture;
  status: ImageCaptureStatus;
  private readonly original: string;

  constructor(obj: ImageCapture) {
    this.obj = obj;
    this.status = structuredClone(obj.status ?? {});
    this.original = JSON.stringify(this.status);
  }

  get key(): string {
    return `${this.obj.metadata.namespace}/${this.obj.metadata.name}`;
  }

  get generation(): number {
    return this.obj.metadata.generation ?? 0;
  }

  get changed(): boolean {
    return JSON.stringify(this.status) !== this.original;
  }

  get hasFinalizer(): boolean {
    return (this.obj.metadata.finalizers ?? []).includes(FINALIZER);
  }

  phase(phase: CapturePhase): void {
    this.status.phase = phase;
  }

  step(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string): void {
    this.status.conditions = setCondition(this.status.conditions ?? [], { type, status, reason, message }, this.generation);
  }

  condition(type: string) {
    return getCondition(this.status.conditions ?? [], type);
  }

  reconciling(reason: string, message: string): void {
    this.status = markReconciling(this.status, reason, message, this.generation);
  }

  stalled(reason: string, message: string): void {
    this.status = markStalled(this.status, reason, message, this.generation);
  }

  ready(message: string): void {
    this.status = markReady(this.status, message, this.generation);
  }

  snapshot(deviceName: string): SnapshotStatus {
    this.status.snapshots ??= [];
    let s = this.status.snapshots.find((x) => x.deviceName === deviceName);
    if (!s) {
      s = { deviceName };
      this.status.snapshots.push(s);
    }
    return s;
  }

  /** True when a Stalled condition for this generation says the capture cannot go on without a change. */
  get stalledForGeneration(): boolean {
    const c = this.condition('Stalled');
    return c?.status === 'True' && (c.observedGeneration ?? 0) >= this.generation;
  }
}
