// Pending asynchronous work (snapshot completion, state transitions, bundle steps) in a min-heap by due time.
// Work runs when it is due: on a timer, before every request (so "zero" latency completes by the next
// Describe), or all at once through advance().
export interface Job {
  dueAt: number;
  seq: number;
  run: () => void;
}

export class Scheduler {
  private heap: Job[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;

  get pending(): number {
    return this.heap.length;
  }

  at(dueAt: number, run: () => void): void {
    this.push({ dueAt, seq: this.seq++, run });
    this.arm();
  }

  after(ms: number, run: () => void): void {
    this.at(Date.now() + Math.max(0, ms), run);
  }

  /** Runs every job due by `now`, including jobs those jobs schedule for no later than `now`. */
  settle(now?: number): number {
    let ran = 0;
    while (this.heap.length > 0 && this.heap[0]!.dueAt <= (now ?? Date.now())) {
      const job = this.pop()!;
      job.run();
      ran++;
    }
    this.arm();
    return ran;
  }

  /** Completes all pending work now, whatever its due time (tests, `POST /_eucasim/advance`). */
  advance(maxJobs = 1_000_000): number {
    let ran = 0;
    while (this.heap.length > 0 && ran < maxJobs) {
      this.pop()!.run();
      ran++;
    }
    this.arm();
    return ran;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.closed) return;
    const next = this.heap[0]?.dueAt ?? Infinity;
    if (next === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      this.timer = undefined;
      this.settle();
    }, Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private less(a: Job, b: Job): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
  }

  private push(job: Job): void {
    const h = this.heap;
    h.push(job);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Job | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
