// Condition polling with a deadline: the one way tests wait for state (never fixed sleeps).
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Describes what was awaited; part of the timeout error. */
  message?: string;
}

/** Thrown from a polled function to stop waiting at once (e.g. the awaited process has died). */
export class GiveUp extends Error {}

/**
 * Calls fn until it returns a value other than undefined, null or false, and returns that value. Errors thrown
 * by fn count as "not yet" (except GiveUp, which is rethrown); the last one is reported if the deadline passes.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 100, message = 'condition' }: WaitForOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
      lastError = undefined;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: last error: ${lastError.message}` : lastError ? `: last error: ${String(lastError)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${why}`);
    }
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
