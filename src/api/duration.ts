// Go-style durations, the subset the CRD pattern admits: one or more <number><unit>, unit ms|s|m|h,
// decimals allowed (`90m`, `2h`, `1h30m`, `1.5h`, `250ms`). Go's bare `0` is accepted as well.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const WHOLE = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;

export class InvalidDurationError extends Error {
  constructor(text: string) {
    super(`invalid duration ${JSON.stringify(text)}: expected Go syntax such as 90m, 2h or 1h30m`);
    this.name = 'InvalidDurationError';
  }
}

/** Milliseconds in a Go-style duration; throws InvalidDurationError on anything else. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (!WHOLE.test(text)) throw new InvalidDurationError(text);
  let ms = 0;
  for (const [, value, unit] of text.matchAll(PART)) ms += Number(value) * UNIT_MS[unit as string]!;
  if (!Number.isFinite(ms)) throw new InvalidDurationError(text);
  return Math.round(ms);
}

/** Go's rendering, for messages: 5400000 -> `1h30m0s`, 1500 -> `1.5s`, 250 -> `250ms`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${(ms % 60_000) / 1000}s`;
  if (h) return `${h}h${m}m${s}`;
  return m ? `${m}m${s}` : s;
}
