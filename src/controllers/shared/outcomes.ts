// How a step ends when it cannot go on: Stalled (terminal for this generation: the user must act) or Waiting
// (nothing is wrong with the resource; something outside it must change first, so look again later).
import type { Reason } from '../../api/reasons.ts';
import { CloudError } from '../../cloud/errors.ts';

/** A terminal problem with the resource: Stalled with a stable reason and a message saying what to do. */
export class StallError extends Error {
  readonly reason: Reason;
  constructor(reason: Reason, message: string) {
    super(message);
    this.name = 'StallError';
    this.reason = reason;
  }
}

/** Not an error of the resource: wait (Reconciling stays True with this reason) and look again later. */
export class WaitError extends Error {
  readonly reason: Reason;
  readonly requeueAfterMs: number;
  constructor(reason: Reason, message: string, requeueAfterMs: number) {
    super(message);
    this.name = 'WaitError';
    this.reason = reason;
    this.requeueAfterMs = requeueAfterMs;
  }
}

/** Stable Stalled reasons for the cloud's terminal error codes. */
const REASON_BY_CODE: Record<string, Reason> = {
  'InvalidAMIName.Malformed': 'InvalidImageName',
  'InvalidAMIName.Duplicate': 'DuplicateImageName',
  InvalidBlockDeviceMapping: 'InvalidBlockDeviceMapping',
  IncorrectInstanceState: 'InvalidInstanceState',
  'InvalidInstanceID.NotFound': 'InstanceNotFound',
  'InvalidInstanceID.Malformed': 'InstanceNotFound',
  UnsupportedOperation: 'UnsupportedByCloud',
  // An action the cloud does not implement at all (a capability no probe could establish, tried anyway).
  InvalidAction: 'UnsupportedByCloud',
  // The same, for a cloud that answers such an action with 5xx or HTML pages only (unknown-actions.ts).
  UnusableAnswer: 'UnsupportedByCloud',
  NoSuchBucket: 'BucketNotFound',
  SignatureSchemeRejected: 'S3SignatureRejected',
};

/**
 * Turns a cloud failure into the step outcome: terminal answers stall with the cloud's code and message,
 * credentials problems wait for the CloudProfile to be fixed, and throttling, 5xx and network faults are
 * rethrown for the work queue's backoff.
 */
export function outcomeOfCloudError(err: unknown, context: string): Error {
  if (!(err instanceof CloudError)) return err instanceof Error ? err : new Error(String(err));
  switch (err.kind) {
    case 'auth':
      return new WaitError('CredentialsRejected', `${context}: the cloud rejected the credentials (${err.code}); fix the CloudProfile's Secret`, 20_000);
    case 'throttled':
    case 'retryable':
      return err;
    case 'notFound':
    case 'terminal':
      return new StallError(REASON_BY_CODE[err.code] ?? 'CloudRejected', `${context}: ${err.code}: ${stripAction(err)}`);
  }
}

function stripAction(err: CloudError): string {
  const prefix = `${err.action}: ${err.code}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}
