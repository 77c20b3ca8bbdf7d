// Token bucket shared by every call to one cloud. FIFO: callers are served strictly in arrival order, so a
// burst of pollers cannot starve a controller's create call. Server-side throttling (RequestLimitExceeded)
// pauses the bucket and halves the effective rate; the rate then recovers additively (AIMD).

export interface TokenBucketOptions {
  qps: number;
  burst: number;
  /** Fraction of `qps` regained per second after a throttle (default 0.05: half rate to full in 10 s). */
  recoveryPerSecond?: number;
  /** Lowest effective rate as a fraction of `qps` (default 1/16). */
  minFraction?: number;
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  private readonly recovery: number;
  private readonly minQps: number;
  private readonly now: () => number;
  private tokens: number;
  private effective: number;
  private last: number;
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: TokenBucketOptions) {
    if (!(opts.qps > 0)) throw new Error(`rate limit qps must be > 0, got ${opts.qps}`);
    this.qps = opts.qps;
    this.burst = Math.max(1, Math.floor(opts.burst));
    this.recovery = opts.recoveryPerSecond ?? 0.05;
    this.minQps = opts.qps * (opts.minFraction ?? 1 / 16);
    this.now = opts.now ?? (() => performance.now());
    this.tokens = this.burst;
    this.effective = this.qps;
    this.last = this.now();
  }

  /** The current rate after throttling adjustments (calls per second). */
  get effectiveQps(): number {
    this.refill();
    return this.effective;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves when the caller may send one request. */
  acquire(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('rate limiter stopped'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.pump();
    });
  }

  /** The cloud said "too fast": stop sending for `ms`, drop the saved burst and halve the rate. */
  pause(ms: number): void {
    this.refill();
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.tokens = Math.min(this.tokens, 0);
    this.effective = Math.max(this.minQps, this.effective / 2);
    this.reschedule();
  }

  /** Rejects every waiter; later acquire() calls fail. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.queue.splice(0)) w.reject(new Error('rate limiter stopped'));
  }

  private refill(): void {
    const now = this.now();
    // Time spent paused earns neither tokens nor recovery.
    const elapsed = Math.max(0, now - Math.max(this.last, this.pausedUntil)) / 1000;
    this.last = now;
    if (now < this.pausedUntil) return;
    // Tokens accrue at the rate in force during the interval; recovery applies afterwards.
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.effective);
    if (this.effective < this.qps) this.effective = Math.min(this.qps, this.effective + elapsed * this.qps * this.recovery);
  }

  private pump(): void {
    this.refill();
    const now = this.now();
    while (this.queue.length > 0 && now >= this.pausedUntil && this.tokens >= 1) {
      this.tokens -= 1;
      this.queue.shift()!.resolve();
    }
    this.reschedule();
  }

  private reschedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0 || this.stopped) return;
    const now = this.now();
    const untilResume = Math.max(0, this.pausedUntil - now);
    const untilToken = ((1 - Math.min(1, this.tokens)) / this.effective) * 1000;
    const wait = Math.max(1, Math.ceil(untilResume + untilToken));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, wait);
  }
}
