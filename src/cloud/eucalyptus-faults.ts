// Eucalyptus failures that carry no AWS code. A plain EucalyptusCloudException is answered by ReplyQueue.handle with
// HTTP 406 and the request's message type as the code (`CancelBundleTaskType`); an authentication or binding failure
// by NioServerHandler.sendError with the HTTP status line as the code (`403 Forbidden`, `400 Bad Request`). So what
// happened is decided from the call made, the HTTP status and the message, and given the code EC2 uses for it, so the
// controllers judge every cloud the same way.

export interface Interpreted {
  code: string;
  kind: 'terminal' | 'notFound' | 'retryable' | 'auth';
}

/** Messages of the uncoded failures the operator's calls can meet (Eucalyptus 3.4/4.0 VmControl, Bundles). */
const UNCODED: Array<{ actions: string[]; message: RegExp; code: string; kind: Interpreted['kind'] }> = [
  { actions: ['CancelBundleTask'], message: /failed to find bundle task/i, code: 'InvalidBundleID.NotFound', kind: 'notFound' },
  { actions: ['CancelBundleTask'], message: /can't cancel bundle task when/i, code: 'IncorrectState', kind: 'terminal' },
  { actions: ['BundleInstance'], message: /not currently 'running'/i, code: 'IncorrectInstanceState', kind: 'terminal' },
  // Another bundle of the instance is running: a wait (it ends, then this one can start), never terminal.
  { actions: ['BundleInstance'], message: /already being bundled/i, code: 'BundlingInProgress', kind: 'retryable' },
  { actions: ['BundleInstance'], message: /platform is not 'windows'|must start with 'windows'/i, code: 'UnsupportedOperation', kind: 'terminal' },
  { actions: ['BundleInstance', 'StopInstances', 'RebootInstances', 'CreateImage'], message: /instance does not exist/i, code: 'InvalidInstanceID.NotFound', kind: 'notFound' },
];

/** The EC2 code and kind for a Eucalyptus answer without one; undefined when the answer has a real code. */
export function interpretEucalyptusFault(action: string, code: string, status: number | undefined, message: string): Interpreted | undefined {
  if (status === 406 && code === `${action}Type`) {
    const known = UNCODED.find((u) => u.actions.includes(action) && u.message.test(message));
    // An uncoded refusal we do not know: the cloud said no to this call; retrying will not change that.
    return known ? { code: known.code, kind: known.kind } : { code, kind: 'terminal' };
  }
  // A status-line code inside an EC2 error body is the cloud's own answer at the request stage: `403 Forbidden` is
  // its refusal of the signature or key (EC2 says AuthFailure), `400 Bad Request` a parameter it cannot bind.
  if (status === 403 && code === '403 Forbidden') return { code: 'AuthFailure', kind: 'auth' };
  if (status === 400 && code === '400 Bad Request') return { code: 'InvalidParameter', kind: 'terminal' };
  return undefined;
}
