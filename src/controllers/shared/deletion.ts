// What deletion shares between the kinds: the administrator's way out when the cloud cannot be reached, and the
// wording of a deletion that waits for its cloud.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ABANDON_ANNOTATION } from '../../api/constants.ts';
import { Reasons, type Reason } from '../../api/reasons.ts';
import { CloudError } from '../../cloud/errors.ts';
import { StallError, WaitError } from './outcomes.ts';

export function abandonRequested(obj: KubernetesObject): boolean {
  return obj.metadata?.annotations?.[ABANDON_ANNOTATION] === 'true';
}

export interface Blocked {
  reason: Reason;
  message: string;
}

/** Why a deletion cannot reach its cloud, and what the administrator can do about it. */
export function deletionBlocked(err: unknown, step: string, objects: string[]): Blocked {
  const waiting = objects.length ? objects.join(', ') : 'the cloud objects tagged as this resource\'s';
  const wayOut = `to give up on them, annotate the resource ${ABANDON_ANNOTATION}=true (they stay in the cloud and are listed in an Event)`;
  let reason: Reason = Reasons.CloudUnreachable;
  if (err instanceof StallError || err instanceof WaitError) reason = err.reason;
  else if (err instanceof CloudError) {
    reason = err.kind === 'throttled' ? Reasons.Throttled : err.kind === 'auth' ? Reasons.CredentialsRejected : err.kind === 'retryable' ? Reasons.CloudUnreachable : Reasons.CleanupRefused;
  }
  const why = String((err as Error)?.message ?? err);
  return { reason, message: `deletion waits while ${step}: ${why}; waiting to remove ${waiting}; ${wayOut}` };
}

/**
 * Says a deletion is blocked once per resource and reason. A cloud error is announced only when the next attempt
 * fails the same way: a snapshot still in use by an image being deregistered clears itself on the retry.
 */
export class BlockedNotices {
  private readonly shown = new Map<string, string>();

  shouldAnnounce(key: string, reason: string, previousReason: string | undefined, err: unknown): boolean {
    if (this.shown.get(key) === reason) return false;
    if (err instanceof CloudError && previousReason !== reason) return false;
    this.shown.set(key, reason);
    return true;
  }

  forget(key: string): void {
    this.shown.delete(key);
  }
}
