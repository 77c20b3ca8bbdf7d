// A finished resource (Available) whose CloudProfile is gone, not Ready, or now points at another cloud: what it
// made exists where it was made, so it stays Ready (kstatus Current, Argo CD Healthy); the condition
// CloudProfileReady=False and one Warning Event say what the operator can no longer do. A deletion that needs the
// cloud shows that it waits (phase Deleting) when it happens.
import { ABANDON_ANNOTATION } from '../../api/constants.ts';
import { removeCondition } from '../../api/conditions.ts';
import { StallError, WaitError } from './outcomes.ts';
import type { ResourceState, StatusShape } from './resource-state.ts';
import type { AnyResource, EventSink, Requeue } from './step-reconciler.ts';

const PROFILE_CONDITION = 'CloudProfileReady';

export interface FinishedWork {
  /** The word for the resource in messages (`capture`, `bundle`). */
  noun: string;
  /** What exists in the cloud (`image ami-1`), for Ready's message and the condition's. */
  what: string;
  /** What the operator would do with the cloud (`check it or apply edits (tags) to it`). */
  cannot: string;
}

/** The cloud cannot be used: the resource stays Ready and says why with CloudProfileReady=False. */
function availableWithoutProfile<T extends AnyResource<S>, S extends StatusShape>(state: ResourceState<T, S>, err: StallError | WaitError, work: FinishedWork, events: EventSink<T>): Requeue {
  const before = state.condition(PROFILE_CONDITION);
  const message = `${err.message}; ${work.what} stays available, but until then the operator cannot ${work.cannot}, and deleting this ${work.noun} with deletionPolicy Delete waits for it (or the annotation ${ABANDON_ANNOTATION}=true; with Retain it goes without the cloud)`;
  state.step(PROFILE_CONDITION, 'False', err.reason, message);
  // A resource stalled by this before (older operators flipped it to Stalled) is Ready again: its objects exist.
  if (state.stalledForGeneration || state.condition('Ready')?.status !== 'True') state.ready(`${work.what} is available`);
  if (before?.status !== 'False' || before.reason !== err.reason) events.warning(state.obj, err.reason, message);
  return { requeueAfterMs: err instanceof WaitError ? err.requeueAfterMs : 30_000 };
}

/** The cloud can be used again: the condition that said otherwise goes. */
function profileBack<T extends AnyResource<S>, S extends StatusShape>(state: ResourceState<T, S>, work: Pick<FinishedWork, 'what'>, events: EventSink<T>): void {
  if (!state.condition(PROFILE_CONDITION)) return;
  state.status.conditions = removeCondition(state.status.conditions, PROFILE_CONDITION);
  if (state.stalledForGeneration || state.condition('Ready')?.status !== 'True') state.ready(`${work.what} is available`);
  events.normal(state.obj, 'CloudProfileReady', 'the CloudProfile is Ready again');
}

/**
 * The cloud of a finished resource; or, when its CloudProfile cannot be used, the requeue that keeps the resource
 * Ready and says why. Once the cloud resolves again the condition that said otherwise goes.
 */
export async function finishedCloud<C, T extends AnyResource<S>, S extends StatusShape>(cloud: () => Promise<C>, state: ResourceState<T, S>, work: FinishedWork, events: EventSink<T>): Promise<{ cloud: C } | { requeue: Requeue }> {
  let resolved: C;
  try {
    resolved = await cloud();
  } catch (err) {
    if (err instanceof StallError || err instanceof WaitError) return { requeue: availableWithoutProfile(state, err, work, events) };
    throw err;
  }
  profileBack(state, work, events);
  return { cloud: resolved };
}
