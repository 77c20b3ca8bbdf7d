// Work queue of string keys (`namespace/name`), shaped after client-go's rate-limited delaying queue
// (k8s.io/client-go/util/workqueue): a key is queued at most once, never processed by two workers at a time, and
// re-run once if it was added while being processed. Ours because @kubernetes/client-node (2.0.1) has no work
// queue: its informer calls handlers directly, with no dedupe, per-key exclusion, delay or backoff.
import { backoffDelay, type BackoffOptions } from './backoff.ts';

export type KeyHandler = (key: string) => Promise<void>;

export interface WorkQueueHooks {
  /** Called whenever the number of keys waiting to be processed changes. */
  depth?: (depth: number) => void;
  /** Called when a key starts processing, with how long it waited in the queue (ms). */
  queueLatency?: (ms: number) => void;
  /** Called after a key was processed, with how long the handler ran (ms). */
  workDuration?: (ms: number) => void;
}

export interface WorkQueueOptions {
  /** How many keys may be processed at once. */
  concurrency?: number;
  backoff?: BackoffOptions;
  hooks?: WorkQueueHooks;
  /** Random source for backoff jitter (tests pass a fixed one). */
  random?: () => number;
}

interface Delayed {
  deadline: number;
  timer: NodeJS.Timeout;
}

export class WorkQueue {
  readonly concurrency: number;
  #backoff: BackoffOptions;
  #hooks: WorkQueueHooks;
  #random: () => number;
  /** FIFO of keys ready to run; a key is in here at most once. */
  #queue: string[] = [];
  #head = 0;
  /** Keys that need processing: queued, or re-added while processing. */
  #dirty = new Map<string, number>();
  #processing = new Set<string>();
  #delayed = new Map<string, Delayed>();
  #failures = new Map<string, number>();
  #handler: KeyHandler | undefined;
  #running = false;
  #shuttingDown = false;
  #idleWaiters: Array<() => void> = [];

  constructor(options: WorkQueueOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.#backoff = options.backoff ?? {};
    this.#hooks = options.hooks ?? {};
    this.#random = options.random ?? Math.random;
  }

  /** Keys waiting to be processed (not counting delayed keys or keys being processed). */
  get depth(): number {
    return this.#queue.length - this.#head;
  }

  /** Keys currently being processed. */
  get active(): number {
    return this.#processing.size;
  }

  /** Keys waiting for a delayed requeue. */
  get delayedCount(): number {
    return this.#delayed.size;
  }

  get isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Queue a key for processing now (no-op if it is already queued). */
  add(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#dirty.has(key)) return;
    this.#dirty.set(key, Date.now());
    // A key being processed is re-queued when its handler finishes, never run concurrently.
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#depthChanged();
    this.#pump();
  }

  /** Queue a key after `ms`; several pending delays for one key collapse to the earliest deadline. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const deadline = Date.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing) {
      if (existing.deadline <= deadline) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    // Pending requeues alone must not keep the process alive.
    timer.unref();
    this.#delayed.set(key, { deadline, timer });
  }

  /** Queue a key after its exponential backoff delay; each call without `forget` doubles the delay. */
  addRateLimited(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const delay = backoffDelay(failures, this.#backoff, this.#random);
    this.addAfter(key, delay);
    return delay;
  }

  /** Reset the backoff of a key (after a success). */
  /**
   * Every key that is backing off after failures runs now, its backoff forgotten (the cause, such as an API
   * server outage, is gone). Returns the keys.
   */
  retryFailedNow(): string[] {
    const keys = [...this.#failures.keys()];
    for (const key of keys) {
      this.#failures.delete(key);
      this.add(key);
    }
    return keys;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** How many consecutive rate-limited requeues a key has had. */
  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Start (or resume) processing keys with `handler`. Keys queued before this call are kept. */
  run(handler: KeyHandler): void {
    if (this.#shuttingDown) throw new Error('work queue is shut down');
    this.#handler = handler;
    this.#running = true;
    this.#pump();
  }

  /** Stop starting new work (queued keys are kept) and wait for in-flight work to finish. */
  async pause(): Promise<void> {
    this.#running = false;
    await this.#waitIdle();
  }

  /**
   * Stop accepting keys, drop pending delays and queued keys, and wait for in-flight work to finish, or at most
   * `deadlineMs` (resolves false if the deadline passed first).
   */
  async shutDown(deadlineMs?: number): Promise<boolean> {
    this.#shuttingDown = true;
    this.#running = false;
    for (const d of this.#delayed.values()) clearTimeout(d.timer);
    this.#delayed.clear();
    this.#queue = [];
    this.#head = 0;
    for (const key of [...this.#dirty.keys()]) {
      if (!this.#processing.has(key)) this.#dirty.delete(key);
    }
    this.#depthChanged();
    const idle = this.#waitIdle().then(() => true);
    if (deadlineMs === undefined) return idle;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    try {
      return await Promise.race([idle, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #waitIdle(): Promise<void> {
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #depthChanged(): void {
    this.#hooks.depth?.(this.depth);
  }

  #pump(): void {
    while (this.#running && this.#handler && this.#processing.size < this.concurrency && this.depth > 0) {
      const key = this.#queue[this.#head] as string;
      this.#queue[this.#head] = '';
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#depthChanged();
      const queuedAt = this.#dirty.get(key) ?? Date.now();
      this.#dirty.delete(key);
      this.#processing.add(key);
      this.#hooks.queueLatency?.(Date.now() - queuedAt);
      void this.#process(this.#handler, key);
    }
  }

  async #process(handler: KeyHandler, key: string): Promise<void> {
    const started = Date.now();
    try {
      await handler(key);
    } catch {
      // The handler owns error handling (the controller retries with backoff); the queue must keep going.
    } finally {
      this.#hooks.workDuration?.(Date.now() - started);
      this.#processing.delete(key);
      if (this.#dirty.has(key) && !this.#shuttingDown) {
        this.#queue.push(key);
        this.#depthChanged();
      } else {
        this.#dirty.delete(key);
      }
      if (this.#processing.size === 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const w of waiters) w();
      }
      this.#pump();
    }
  }
}
