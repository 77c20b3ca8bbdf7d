// Exponential backoff with jitter, as a pure function so its math is tested on its own.

export interface BackoffOptions {
  /** Delay after the first failure (ms). */
  baseMs?: number;
  /** Upper bound of any delay (ms). */
  capMs?: number;
  /** Fraction of the delay that is randomised: 0 = none, 0.5 = delay in [d/2, d]. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 200, capMs: 5 * 60 * 1000, jitter: 0.5 };

/**
 * Delay before retry number `failures` (1 = first failure): base * 2^(failures-1), capped, then reduced by up to
 * `jitter` of itself so that many keys failing together do not retry in lockstep.
 */
export function backoffDelay(failures: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { baseMs, capMs, jitter } = { ...DEFAULT_BACKOFF, ...options };
  const n = Math.max(1, Math.floor(failures));
  // 2^(n-1) overflows to Infinity for large n; Math.min then yields the cap.
  const raw = Math.min(capMs, baseMs * Math.pow(2, n - 1));
  const j = Math.min(1, Math.max(0, jitter));
  return Math.round(raw * (1 - j * random()));
}
