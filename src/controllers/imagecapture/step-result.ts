/** What a strategy's step machine tells the reconciler after one pass. */
export interface StepResult {
  /** The image is available: the capture is complete. */
  done: boolean;
  /** Write status now, before going on (a call follows that must not be repeated after a crash). */
  checkpoint?: boolean;
  /** Run the step machine again right away (the strategy changed). */
  again?: boolean;
  /** Look again after this long even if no poller wakes the resource. */
  requeueAfterMs?: number;
  /** A Normal event to record for a notable change. */
  event?: string;
}
