// Condition types, stable reasons and pure helpers that keep the kstatus trio (Ready, Reconciling, Stalled)
// consistent, so `kubectl wait --for=condition=Ready`, Argo CD and Flux read every kind the same way.
import { Reasons, type Reason } from './reasons.ts';
import type { Condition } from './types.ts';

export const ConditionTypes = Object.freeze({
  Ready: 'Ready',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
  InstanceQuiesced: 'InstanceQuiesced',
  SnapshotsCompleted: 'SnapshotsCompleted',
  BundleStored: 'BundleStored',
  ImageRegistered: 'ImageRegistered',
  ImageVerified: 'ImageVerified',
  BootVerified: 'BootVerified',
  LaunchPermissionsApplied: 'LaunchPermissionsApplied',
  CloudProfileReady: 'CloudProfileReady',
  CleanedUp: 'CleanedUp',
  CredentialsValid: 'CredentialsValid',
  CapabilitiesDetected: 'CapabilitiesDetected',
  InUse: 'InUse',
} as const);
export type ConditionType = (typeof ConditionTypes)[keyof typeof ConditionTypes];

export { Reasons, type Reason } from './reasons.ts';

export type ConditionStatus = Condition['status'];

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export interface WithConditions {
  conditions?: Condition[];
}

function timestamp(now: Date | string | undefined): string {
  if (typeof now === 'string') return now;
  // metav1.Time has second precision; drop milliseconds so a round trip through the API server is stable.
  return (now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Longest condition message written: a cloud may answer with a 100 KB error text, and a status over the API
 * server's limits fails every write (so no status at all). The whole text goes to the log (see onTruncated).
 */
export const MAX_CONDITION_MESSAGE = 2048;
const TRUNCATED = ' ... (truncated; the full text is in the operator log)';
let truncatedSink: ((type: string, message: string) => void) | undefined;

/** Where the full text of a truncated condition message goes (the operator passes its logger). */
export function onTruncated(sink: ((type: string, message: string) => void) | undefined): void {
  truncatedSink = sink;
}

export function truncateMessage(message: string, max = MAX_CONDITION_MESSAGE): string {
  return message.length > max ? `${message.slice(0, max - TRUNCATED.length)}${TRUNCATED}` : message;
}

/**
 * Returns a new list with `input` set. lastTransitionTime changes only when the status changes; order is kept
 * (a new type is appended).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  generation: number | undefined,
  now?: Date | string,
): Condition[] {
  const list = conditions ?? [];
  const existing = list.find((c) => c.type === input.type);
  const message = truncateMessage(input.message);
  if (message !== input.message) truncatedSink?.(input.type, input.message);
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message,
    lastTransitionTime: existing && existing.status === input.status ? existing.lastTransitionTime : timestamp(now),
  };
  if (generation !== undefined) next.observedGeneration = generation;
  if (!existing) return [...list, next];
  return list.map((c) => (c.type === input.type ? next : c));
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** A status with its conditions set (the helpers always write the list). */
export type Marked<S> = S & { conditions: Condition[] };

function setAll<S extends WithConditions>(status: S, inputs: ConditionInput[], generation: number | undefined, now?: Date | string): Marked<S> {
  let conditions: Condition[] = [...(status.conditions ?? [])];
  for (const input of inputs) conditions = setCondition(conditions, input, generation, now);
  return { ...status, conditions };
}

/** Work in flight: Reconciling True with the step as reason; Ready False with the same reason; Stalled False. */
export function markReconciling<S extends WithConditions>(status: S, reason: Reason, message: string, generation: number | undefined, now?: Date | string): Marked<S> {
  return setAll(status, [
    { type: ConditionTypes.Reconciling, status: 'True', reason, message },
    { type: ConditionTypes.Ready, status: 'False', reason, message },
    { type: ConditionTypes.Stalled, status: 'False', reason: Reasons.InProgress, message: '' },
  ], generation, now);
}

/** Terminal error: Stalled True with a stable reason and a message saying what to do; Ready and Reconciling False. */
export function markStalled<S extends WithConditions>(status: S, reason: Reason, message: string, generation: number | undefined, now?: Date | string): Marked<S> {
  return setAll(status, [
    { type: ConditionTypes.Stalled, status: 'True', reason, message },
    { type: ConditionTypes.Ready, status: 'False', reason, message },
    { type: ConditionTypes.Reconciling, status: 'False', reason, message: '' },
  ], generation, now);
}

/** Done: Ready True (reason Succeeded); Reconciling and Stalled False. */
export function markReady<S extends WithConditions>(status: S, message: string, generation: number | undefined, now?: Date | string): Marked<S> {
  return setAll(status, [
    { type: ConditionTypes.Ready, status: 'True', reason: Reasons.Succeeded, message },
    { type: ConditionTypes.Reconciling, status: 'False', reason: Reasons.Succeeded, message: '' },
    { type: ConditionTypes.Stalled, status: 'False', reason: Reasons.Succeeded, message: '' },
  ], generation, now);
}

export type Summary = 'Ready' | 'Stalled' | 'Reconciling' | 'Unknown';

/**
 * What kstatus would conclude for the status at `generation`: conditions written for an older generation do not
 * count (the spec changed since), so the answer is Reconciling until the controller catches up.
 */
export function summarize(status: WithConditions & { observedGeneration?: number } | undefined, generation?: number): Summary {
  const conditions = status?.conditions;
  if (generation !== undefined && status?.observedGeneration !== undefined && status.observedGeneration < generation) {
    return 'Reconciling';
  }
  if (isTrue(conditions, ConditionTypes.Stalled)) return 'Stalled';
  if (isTrue(conditions, ConditionTypes.Reconciling)) return 'Reconciling';
  if (isTrue(conditions, ConditionTypes.Ready)) return 'Ready';
  return 'Unknown';
}

/**
 * The status as seen by a reconcile that looked at `generation` to the end: `observedGeneration` on the status and
 * on every condition. Written even when nothing else changed, so kstatus, Argo CD and `kubectl wait` see an edit
 * acknowledged (an edit that needs no cloud work still moves the generation).
 */
export function observeGeneration<S extends WithConditions & { observedGeneration?: number }>(status: S, generation: number): S {
  return {
    ...status,
    observedGeneration: generation,
    ...(status.conditions ? { conditions: status.conditions.map((c) => ({ ...c, observedGeneration: generation })) } : {}),
  };
}

/** True when the status already records `generation` everywhere (nothing for observeGeneration to write). */
export function isObserved(status: WithConditions & { observedGeneration?: number }, generation: number): boolean {
  return status.observedGeneration === generation && (status.conditions ?? []).every((c) => c.observedGeneration === generation);
}
