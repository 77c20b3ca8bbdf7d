// The time a controller schedules by. Production uses the wall clock; tests inject a ScaledClock so a cron
// schedule of minutes runs in seconds and an outage of hours is one jump, without sleeping.
export interface Clock {
  now(): Date;
  /** Real milliseconds to wait until `clockMs` of this clock's time have passed. */
  realDelayMs(clockMs: number): number;
  /** Clocks that can jump tell the controllers, so schedules look at the new time without waiting. */
  onJump?(listener: () => void): void;
}

export const wallClock: Clock = {
  now: () => new Date(),
  realDelayMs: (ms) => ms,
};

/**
 * Runs `scale` times faster than real time from `start` on (scale 0: stands still); set() and jump() move it
 * at once and wake the controllers.
 */
export class ScaledClock implements Clock {
  private realStart = Date.now();
  private start: number;
  private readonly scale: number;
  private readonly listeners: (() => void)[] = [];

  constructor(options: { start?: Date; scale?: number } = {}) {
    this.start = (options.start ?? new Date()).getTime();
    this.scale = options.scale ?? 1;
    if (!(this.scale >= 0)) throw new Error('ScaledClock scale must be >= 0');
  }

  now(): Date {
    return new Date(this.start + (Date.now() - this.realStart) * this.scale);
  }

  realDelayMs(clockMs: number): number {
    return this.scale === 0 ? Infinity : Math.max(0, Math.ceil(clockMs / this.scale));
  }

  onJump(listener: () => void): void {
    this.listeners.push(listener);
  }

  set(time: Date): void {
    this.start = time.getTime();
    this.realStart = Date.now();
    for (const l of this.listeners) l();
  }

  jump(ms: number): void {
    this.set(new Date(this.now().getTime() + ms));
  }
}
