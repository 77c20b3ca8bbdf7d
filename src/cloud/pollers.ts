// Batched Describe pollers: one per (cloud, kind). Every waiting resource registers the ids it waits on;
// each tick sends ONE Describe call per 200 watched ids instead of one call per resource, and wakes (via
// onChange, i.e. controller.enqueue) only the keys whose object actually changed.
import { CloudError, classify } from './errors.ts';
import {
  describeBundleTasks, describeImages, describeInstances, describeSnapshots,
  type BundleTaskInfo, type ImageInfo, type InstanceInfo, type SnapshotInfo,
} from './ec2.ts';
import type { CloudGateway } from './gateway.ts';

export interface NotFoundMarker {
  notFound: true;
}

export type Observed<T> = T | NotFoundMarker;

export function isNotFound<T>(v: Observed<T> | undefined): v is NotFoundMarker {
  return typeof v === 'object' && v !== null && (v as Partial<NotFoundMarker>).notFound === true;
}

export interface PollerTiming {
  /** First interval and the one used after any change or new watch (default 500 ms). */
  minIntervalMs?: number;
  /** Ceiling while nothing changes (default 15 s). */
  maxIntervalMs?: number;
  /** Growth per quiet tick (default 1.5). */
  backoffFactor?: number;
  /** How long an id may stay missing before it is reported not found (default 30 s): eventual consistency. */
  notFoundGraceMs?: number;
  /** Ids per Describe call (default 200). */
  chunkSize?: number;
}

export interface BatchPollerOptions<T> extends PollerTiming {
  kind: string;
  describe: (ids: string[]) => Promise<T[]>;
  idOf: (item: T) => string;
  /** The part of an object whose change wakes its watchers (default: the whole object). */
  changeKey?: (item: T) => string;
  onChange: (key: string) => void;
  onError?: (err: CloudError) => void;
  now?: () => number;
  /** No timer: the caller drives tick() (tests). */
  manual?: boolean;
}

interface Entry<T> {
  keys: Set<string>;
  watchedAt: number;
  value?: Observed<T>;
  change?: string;
  missingSince?: number;
}

export class BatchPoller<T> {
  readonly kind: string;
  private readonly opts: BatchPollerOptions<T>;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly graceMs: number;
  private readonly chunkSize: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry<T>>();
  private readonly idsByKey = new Map<string, Set<string>>();
  private interval: number;
  private timer: NodeJS.Timeout | undefined;
  private nextTickAt = Infinity;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Describe calls sent since creation (for tests and benchmarks). */
  calls = 0;

  constructor(opts: BatchPollerOptions<T>) {
    this.kind = opts.kind;
    this.opts = opts;
    this.minMs = opts.minIntervalMs ?? 500;
    this.maxMs = Math.max(this.minMs, opts.maxIntervalMs ?? 15_000);
    this.factor = opts.backoffFactor ?? 1.5;
    this.graceMs = opts.notFoundGraceMs ?? 30_000;
    this.chunkSize = Math.max(1, opts.chunkSize ?? 200);
    this.now = opts.now ?? (() => Date.now());
    this.interval = this.minMs;
  }

  get intervalMs(): number {
    return this.interval;
  }

  /** Every key with an active watch (to requeue them when the pollers are rebuilt). */
  watchedKeys(): string[] {
    return [...this.idsByKey.keys()];
  }

  get watchedIds(): number {
    return this.entries.size;
  }

  /** `key` (a controller queue key) waits on cloud object `id`. A new id makes polling fast again. */
  watch(id: string, key: string): void {
    if (this.stopped) return;
    let e = this.entries.get(id);
    const isNew = !e;
    if (!e) {
      e = { keys: new Set(), watchedAt: this.now() };
      this.entries.set(id, e);
    }
    e.keys.add(key);
    let ids = this.idsByKey.get(key);
    if (!ids) this.idsByKey.set(key, (ids = new Set()));
    ids.add(id);
    if (isNew) {
      this.interval = this.minMs;
      this.schedule(this.minMs);
    }
  }

  /** Drops the key's interest in `id`, or in every id when omitted. Ids nobody watches are forgotten. */
  unwatch(key: string, id?: string): void {
    const ids = this.idsByKey.get(key);
    if (!ids) return;
    for (const i of id === undefined ? [...ids] : [id]) {
      ids.delete(i);
      const e = this.entries.get(i);
      if (!e) continue;
      e.keys.delete(key);
      if (e.keys.size === 0) this.entries.delete(i);
    }
    if (ids.size === 0) this.idsByKey.delete(key);
    if (this.entries.size === 0) this.clearTimer();
  }

  /** The last observation of `id`: the object, `{ notFound: true }` after the grace period, or undefined. */
  get(id: string): Observed<T> | undefined {
    return this.entries.get(id)?.value;
  }

  /** One polling round over every watched id. Concurrent calls share the round in flight. */
  tick(): Promise<void> {
    if (!this.running) {
      this.running = this.runTick().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.entries.clear();
    this.idsByKey.clear();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextTickAt = Infinity;
  }

  /** Arms the timer for `delay` unless one fires sooner already. */
  private schedule(delay: number): void {
    if (this.opts.manual || this.stopped || this.entries.size === 0) return;
    const at = this.now() + delay;
    if (this.timer && at >= this.nextTickAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.nextTickAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.nextTickAt = Infinity;
      void this.tick().then(() => this.schedule(this.interval));
    }, delay);
    this.timer.unref?.();
  }

  private async runTick(): Promise<void> {
    const ids = [...this.entries.keys()];
    if (ids.length === 0) return;
    let woken = 0;
    let failure: CloudError | undefined;
    for (let i = 0; i < ids.length; i += this.chunkSize) {
      const changed = new Set<string>();
      try {
        await this.pollChunk(ids.slice(i, i + this.chunkSize), changed);
      } catch (err) {
        failure = classify(err, `Describe(${this.kind})`);
        this.opts.onError?.(failure);
        if (failure.kind === 'throttled' || failure.kind === 'auth') break;
      } finally {
        // Woken chunk by chunk, not after the whole round: a waiter that has what it waited for unwatches, and the
        // object it was given is freed while later chunks are asked (10,000 finished captures checking their
        // images held 10,000 image descriptions at once otherwise).
        woken += changed.size;
        for (const key of changed) this.opts.onChange(key);
      }
    }
    if (failure?.kind === 'throttled') this.interval = Math.min(this.maxMs, Math.max(this.interval * 4, this.minMs * 4));
    else if (woken > 0) this.interval = this.minMs;
    else this.interval = Math.min(this.maxMs, this.interval * this.factor);
  }

  /**
   * Describes one chunk. EC2 fails a whole Describe with `*.NotFound` when any one id is unknown; the ids
   * named in the message are set aside and the rest asked again; if none is named, the chunk is halved.
   */
  private async pollChunk(ids: string[], changed: Set<string>): Promise<void> {
    let items: T[];
    try {
      this.calls++;
      items = await this.opts.describe(ids);
    } catch (err) {
      const c = classify(err, `Describe(${this.kind})`);
      if (c.kind !== 'notFound') throw c;
      const named = ids.filter((id) => mentions(c.message, id));
      if (ids.length === 1 || named.length === ids.length) {
        for (const id of ids) this.observeMissing(id, changed);
        return;
      }
      if (named.length > 0) {
        for (const id of named) this.observeMissing(id, changed);
        return this.pollChunk(ids.filter((id) => !named.includes(id)), changed);
      }
      const half = Math.ceil(ids.length / 2);
      await this.pollChunk(ids.slice(0, half), changed);
      await this.pollChunk(ids.slice(half), changed);
      return;
    }
    const seen = new Set<string>();
    for (const item of items) {
      const id = this.opts.idOf(item);
      const e = this.entries.get(id);
      if (!e) continue;
      seen.add(id);
      e.missingSince = undefined;
      const change = this.opts.changeKey ? this.opts.changeKey(item) : JSON.stringify(item);
      e.value = item;
      if (change !== e.change) {
        e.change = change;
        for (const k of e.keys) changed.add(k);
      }
    }
    for (const id of ids) if (!seen.has(id)) this.observeMissing(id, changed);
  }

  private observeMissing(id: string, changed: Set<string>): void {
    const e = this.entries.get(id);
    if (!e) return;
    const now = this.now();
    // A never-seen id counts from when it was watched; a vanished one from its first missing round.
    e.missingSince ??= e.value === undefined ? e.watchedAt : now;
    if (now - e.missingSince < this.graceMs || isNotFound(e.value)) return;
    e.value = { notFound: true };
    e.change = 'notFound';
    for (const k of e.keys) changed.add(k);
  }
}

/** True when `id` appears in the text as a whole token (not inside a longer id). */
function mentions(text: string, id: string): boolean {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`).test(text);
}

// ------------------------------------------------------------------ factories

export interface PollerFactoryOptions extends PollerTiming {
  onChange: (key: string) => void;
  onError?: (err: CloudError) => void;
}

const stateAndProgress = (o: { state: string; progress?: number }): string => `${o.state}/${o.progress ?? ''}`;

export function snapshotPoller(gw: CloudGateway, o: PollerFactoryOptions): BatchPoller<SnapshotInfo> {
  return new BatchPoller<SnapshotInfo>({
    ...o, kind: 'snapshots', describe: (ids) => describeSnapshots(gw, ids), idOf: (s) => s.snapshotId,
    changeKey: stateAndProgress,
  });
}

export function imagePoller(gw: CloudGateway, o: PollerFactoryOptions): BatchPoller<ImageInfo> {
  return new BatchPoller<ImageInfo>({
    ...o, kind: 'images', describe: (ids) => describeImages(gw, ids), idOf: (i) => i.imageId,
    changeKey: (i) => i.state,
  });
}

export function bundleTaskPoller(gw: CloudGateway, o: PollerFactoryOptions): BatchPoller<BundleTaskInfo> {
  return new BatchPoller<BundleTaskInfo>({
    ...o, kind: 'bundleTasks', describe: (ids) => describeBundleTasks(gw, ids), idOf: (t) => t.bundleId,
    changeKey: stateAndProgress,
  });
}

export function instancePoller(gw: CloudGateway, o: PollerFactoryOptions): BatchPoller<InstanceInfo> {
  return new BatchPoller<InstanceInfo>({
    ...o, kind: 'instances', describe: (ids) => describeInstances(gw, ids), idOf: (i) => i.instanceId,
    changeKey: (i) => i.state,
  });
}

export interface CloudPollers {
  snapshots: BatchPoller<SnapshotInfo>;
  images: BatchPoller<ImageInfo>;
  bundleTasks: BatchPoller<BundleTaskInfo>;
  instances: BatchPoller<InstanceInfo>;
}

export function createPollers(gw: CloudGateway, o: PollerFactoryOptions): CloudPollers {
  return {
    snapshots: snapshotPoller(gw, o),
    images: imagePoller(gw, o),
    bundleTasks: bundleTaskPoller(gw, o),
    instances: instancePoller(gw, o),
  };
}

export function stopPollers(p: CloudPollers): void {
  for (const poller of Object.values(p) as Array<BatchPoller<unknown>>) poller.stop();
}
