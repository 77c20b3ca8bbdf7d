// Keys waiting for a deadline, for the work queue's delayed requeues: a binary min-heap of (deadline, key) behind ONE
// timer armed for the earliest deadline. A finished resource waits minutes for its next periodic check; with a
// timer each, 10,000 of them held 10,000 Timeout objects and closures (≈ 0.25 KB each) for nothing.
// A key's deadline only moves earlier (later requests are ignored), so an entry whose deadline is no longer the
// key's is stale and skipped when it surfaces; stale entries are swept when they outnumber the live ones.

export class DelayHeap {
  /** The deadline (epoch ms) each waiting key is due at. */
  readonly #due = new Map<string, number>();
  #at: number[] = [];
  #keys: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  readonly #fire: (key: string) => void;

  /** `fire` is called with each key once its deadline has passed. */
  constructor(fire: (key: string) => void) {
    this.#fire = fire;
  }

  get size(): number {
    return this.#due.size;
  }

  has(key: string): boolean {
    return this.#due.has(key);
  }

  /** Due `key` at `deadline` (epoch ms), unless it is already due sooner. */
  schedule(key: string, deadline: number): void {
    const current = this.#due.get(key);
    if (current !== undefined && current <= deadline) return;
    this.#due.set(key, deadline);
    this.#push(deadline, key);
    if (this.#at.length > 2 * this.#due.size + 1024) this.#sweep();
    this.#arm();
  }

  /** Forget every key and stop the timer. */
  clear(): void {
    this.#due.clear();
    this.#at = [];
    this.#keys = [];
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #arm(): void {
    const next = this.#at[0];
    if (next === undefined || next >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, next - Date.now()));
    // Pending requeues alone must not keep the process alive.
    this.#timer.unref();
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    while (this.#at.length > 0 && this.#at[0]! <= now) {
      const [at, key] = this.#pop();
      if (this.#due.get(key) !== at) continue; // stale: the key was rescheduled sooner, or already fired
      this.#due.delete(key);
      this.#fire(key);
    }
    this.#arm();
  }

  #sweep(): void {
    const live = [...this.#due];
    this.#at = [];
    this.#keys = [];
    for (const [key, at] of live) this.#push(at, key);
  }

  #push(at: number, key: string): void {
    const a = this.#at;
    const k = this.#keys;
    let i = a.length;
    a.push(at);
    k.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= at) break;
      a[i] = a[parent]!;
      k[i] = k[parent]!;
      i = parent;
    }
    a[i] = at;
    k[i] = key;
  }

  #pop(): [number, string] {
    const a = this.#at;
    const k = this.#keys;
    const top: [number, string] = [a[0]!, k[0]!];
    const lastAt = a.pop()!;
    const lastKey = k.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && a[right]! < a[left]! ? right : left;
        if (a[child]! >= lastAt) break;
        a[i] = a[child]!;
        k[i] = k[child]!;
        i = child;
      }
      a[i] = lastAt;
      k[i] = lastKey;
    }
    return top;
  }
}
