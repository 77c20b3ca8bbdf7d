// How long each kind of asynchronous work takes. "zero" completes by the next request; "realistic" spreads
// work over seconds with jitter, bundles and conversions being the slowest.
export interface LatencyConfig {
  /** pending→running, stopping→stopped, reboot. */
  instanceMs: number;
  snapshotMs: number;
  /** CreateImage/RegisterImage pending→available, on top of the snapshots it waits for. */
  imageMs: number;
  /** Each bundle step (pending, shutdown, bundling, storing). */
  bundleStepMs: number;
  conversionMs: number;
  /** Fraction of each duration added or removed at random (0.2 = ±20%). */
  jitter: number;
}

export const ZERO_LATENCY: LatencyConfig = {
  instanceMs: 0, snapshotMs: 0, imageMs: 0, bundleStepMs: 0, conversionMs: 0, jitter: 0,
};

export const REALISTIC_LATENCY: LatencyConfig = {
  instanceMs: 2_000, snapshotMs: 5_000, imageMs: 1_500, bundleStepMs: 4_000, conversionMs: 8_000, jitter: 0.3,
};

export function resolveLatency(spec: 'zero' | 'realistic' | Partial<LatencyConfig> | undefined): LatencyConfig {
  if (spec === undefined || spec === 'zero') return ZERO_LATENCY;
  if (spec === 'realistic') return REALISTIC_LATENCY;
  return { ...ZERO_LATENCY, ...spec };
}

export function withJitter(ms: number, jitter: number, random: () => number = Math.random): number {
  if (ms <= 0 || jitter <= 0) return Math.max(0, ms);
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1))));
}
