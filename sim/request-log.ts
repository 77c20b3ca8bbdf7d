// Every request the simulator answered. Entries live in a ring buffer (bounded memory); per-action counters
// and the peak requests/second are exact regardless of the buffer size.
export interface RequestLogEntry {
  time: Date;
  action: string;
  params: Record<string, string>;
  accountId?: string;
  status: number;
  code?: string;
}

export class RequestLog {
  private readonly capacity: number;
  private ring: RequestLogEntry[] = [];
  private start = 0;
  private counts = new Map<string, number>();
  private total = 0;
  private second = 0;
  private inSecond = 0;
  /** Highest number of requests answered within one wall-clock second. */
  peakPerSecond = 0;

  constructor(capacity = 10_000) {
    this.capacity = Math.max(1, capacity);
  }

  add(entry: RequestLogEntry): void {
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.capacity;
    }
    this.counts.set(entry.action, (this.counts.get(entry.action) ?? 0) + 1);
    this.total++;
    const sec = Math.floor(entry.time.getTime() / 1000);
    if (sec === this.second) this.inSecond++;
    else {
      this.second = sec;
      this.inSecond = 1;
    }
    if (this.inSecond > this.peakPerSecond) this.peakPerSecond = this.inSecond;
  }

  /** Entries still held, oldest first, optionally for one action. */
  entries(action?: string): RequestLogEntry[] {
    const ordered = [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
    return action ? ordered.filter((e) => e.action === action) : ordered;
  }

  count(action?: string): number {
    return action === undefined ? this.total : (this.counts.get(action) ?? 0);
  }

  byAction(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  clear(): void {
    this.ring = [];
    this.start = 0;
    this.counts.clear();
    this.total = 0;
    this.second = 0;
    this.inSecond = 0;
    this.peakPerSecond = 0;
  }
}
