// Per-account token bucket: the cloud's own request rate limit, answered with RequestLimitExceeded.
export interface RateLimitOptions {
  requestsPerSecond: number;
  burst?: number;
}

export class AccountRateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimitOptions) {
    this.rate = options.requestsPerSecond;
    this.burst = options.burst ?? Math.max(1, Math.ceil(options.requestsPerSecond));
  }

  /** Takes one token for the account; false when the account is over its rate. */
  allow(accountId: string, now = Date.now()): boolean {
    const b = this.buckets.get(accountId) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    this.buckets.set(accountId, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
