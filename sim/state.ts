// The simulated cloud's state: accounts, resources indexed by id, S3, and the scheduler that moves pending
// work along. Handlers validate requests; the primitives here are shared by several actions.
import { Faults } from './faults.ts';
import { IdGenerator } from './ids.ts';
import { type LatencyConfig, withJitter } from './latency.ts';
import type {
  Account, BundleTask, ConversionTask, Image, Instance, Snapshot, Volume,
} from './model.ts';
import type { Profile } from './profiles.ts';
import { S3Store } from './s3-store.ts';
import { Scheduler } from './scheduler.ts';

export interface SeedInstancesOptions {
  count: number;
  rootDeviceType?: 'ebs' | 'instance-store';
  platform?: 'linux' | 'windows';
  /** Data volumes attached to each instance (besides an EBS root). */
  attachedVolumes?: number;
  accountId?: string;
  state?: 'running' | 'stopped';
  availabilityZone?: string;
  imageId?: string;
}

export interface SimEvent {
  time: Date;
  type: 'reboot' | 'stop' | 'start' | 'terminate' | 'snapshot-failed' | 'bundle-failed' | 'conversion-failed' | 'image-failed';
  id: string;
  detail?: string;
}

const MAX_EVENTS = 5_000;
const DATA_DEVICES = 'fghijklmnop'.split('').map((c) => `/dev/sd${c}`);

export class SimState {
  readonly profile: Profile;
  latency: LatencyConfig;
  readonly faults: Faults;
  readonly s3 = new S3Store();
  readonly scheduler = new Scheduler();
  readonly ids: IdGenerator;
  readonly accountsByKey = new Map<string, Account>();
  readonly accountsById = new Map<string, Account>();
  readonly instances = new Map<string, Instance>();
  readonly volumes = new Map<string, Volume>();
  readonly snapshots = new Map<string, Snapshot>();
  readonly images = new Map<string, Image>();
  readonly bundleTasks = new Map<string, BundleTask>();
  readonly conversionTasks = new Map<string, ConversionTask>();
  readonly events: SimEvent[] = [];
  zones: string[] = ['zone-a'];
  region = 'eucalyptus';
  /** host:port the EC2 endpoint answers on (DescribeRegions). */
  endpointHost = '127.0.0.1';
  /** Bytes of each bundle part (euca2ools default 10 MiB) and of the synthetic bundled data. */
  bundlePartSize = 10 * 1024 * 1024;
  bundledBytes = 64 * 1024;

  constructor(profile: Profile, latency: LatencyConfig, faults: Faults) {
    this.profile = profile;
    this.latency = latency;
    this.faults = faults;
    this.ids = new IdGenerator(profile, (id) => this.exists(id));
  }

  addAccount(account: Account): void {
    if (!/^\d{12}$/.test(account.accountId)) throw new Error(`account id must be 12 digits: ${account.accountId}`);
    this.accountsByKey.set(account.accessKeyId, account);
    this.accountsById.set(account.accountId, account);
  }

  get defaultAccount(): Account {
    const first = this.accountsById.values().next().value;
    if (!first) throw new Error('eucasim has no accounts: add one in the fixtures');
    return first;
  }

  exists(id: string): boolean {
    return this.instances.has(id) || this.volumes.has(id) || this.snapshots.has(id) || this.images.has(id)
      || this.bundleTasks.has(id) || this.conversionTasks.has(id);
  }

  /** A duration from the latency config with its jitter applied. */
  duration(kind: keyof Omit<LatencyConfig, 'jitter'>): number {
    return withJitter(this.latency[kind], this.latency.jitter);
  }

  recordEvent(type: SimEvent['type'], id: string, detail?: string): void {
    this.events.push({ time: new Date(), type, id, ...(detail ? { detail } : {}) });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  createVolume(ownerId: string, size: number, availabilityZone: string, snapshotId = ''): Volume {
    const volume: Volume = {
      id: this.ids.next('vol-'), ownerId, size, snapshotId, availabilityZone, status: 'creating', createTime: new Date(),
      tags: new Map(),
    };
    this.volumes.set(volume.id, volume);
    this.scheduler.after(this.duration('instanceMs'), () => {
      if (volume.status === 'creating') volume.status = volume.attachedTo ? 'in-use' : 'available';
    });
    return volume;
  }

  attach(volume: Volume, instance: Instance, device: string, deleteOnTermination = false): void {
    volume.attachedTo = instance.id;
    volume.status = 'in-use';
    instance.attachments.push({ volumeId: volume.id, device, attachTime: new Date(), deleteOnTermination });
  }

  /** Starts a snapshot of the volume: pending now, completed (or failed under a fault) after the latency. */
  createSnapshot(volume: Volume, ownerId: string, description: string, action = 'CreateSnapshot'): Snapshot {
    const dueAt = Date.now() + this.duration('snapshotMs');
    const snapshot: Snapshot = {
      id: this.ids.next('snap-'), ownerId, volumeId: volume.id, volumeSize: volume.size, description,
      status: 'pending', startTime: new Date(), dueAt, tags: new Map(),
    };
    this.snapshots.set(snapshot.id, snapshot);
    const fail = this.faults.take('failSnapshot', action) !== undefined;
    this.scheduler.at(dueAt, () => {
      if (snapshot.status !== 'pending') return;
      snapshot.status = fail ? 'failed' : 'completed';
      if (fail) this.recordEvent('snapshot-failed', snapshot.id);
    });
    return snapshot;
  }

  /** "NN%": the storage-reported progress, interpolated over the snapshot's latency. */
  snapshotProgress(s: Snapshot, now = Date.now()): string {
    if (s.status === 'completed') return '100%';
    if (s.status !== 'pending') return '0%';
    const total = s.dueAt - s.startTime.getTime();
    const pct = total <= 0 ? 99 : Math.min(99, Math.floor(((now - s.startTime.getTime()) / total) * 100));
    return `${Math.max(0, pct)}%`;
  }

  addInstance(spec: Partial<Instance> & { ownerId: string }, dataVolumes = 0, rootSize = 10): Instance {
    const rootDeviceType = spec.rootDeviceType ?? 'ebs';
    const instance: Instance = {
      id: spec.id ?? this.ids.next('i-'),
      ownerId: spec.ownerId,
      reservationId: spec.reservationId ?? this.ids.next('r-'),
      imageId: spec.imageId ?? `${this.profile.imagePrefix}00000000`,
      instanceType: spec.instanceType ?? 'm1.small',
      state: spec.state ?? 'running',
      rootDeviceType,
      rootDeviceName: spec.rootDeviceName ?? this.profile.defaultRootDevice,
      ...(spec.platform === 'windows' ? { platform: 'windows' as const } : {}),
      architecture: spec.architecture ?? 'x86_64',
      availabilityZone: spec.availabilityZone ?? this.zones[0]!,
      launchTime: spec.launchTime ?? new Date(),
      attachments: [],
      diskBytes: spec.diskBytes ?? 10 * 1024 ** 3,
      tags: spec.tags ?? new Map(),
      rebootCount: 0,
      ...(spec.clientToken ? { clientToken: spec.clientToken } : {}),
    };
    this.instances.set(instance.id, instance);
    if (rootDeviceType === 'ebs') {
      const root = this.createVolume(instance.ownerId, rootSize, instance.availabilityZone);
      root.status = 'in-use';
      this.attach(root, instance, instance.rootDeviceName, true);
    }
    for (let i = 0; i < dataVolumes; i++) {
      const vol = this.createVolume(instance.ownerId, 20, instance.availabilityZone);
      vol.status = 'in-use';
      this.attach(vol, instance, DATA_DEVICES[i % DATA_DEVICES.length]!);
    }
    return instance;
  }

  /** Adds `count` instances for benchmarks and returns them. */
  seedInstances(options: SeedInstancesOptions): Instance[] {
    const ownerId = options.accountId ?? this.defaultAccount.accountId;
    const out: Instance[] = [];
    for (let i = 0; i < options.count; i++) {
      out.push(this.addInstance({
        ownerId,
        rootDeviceType: options.rootDeviceType ?? 'ebs',
        ...(options.platform === 'windows' ? { platform: 'windows' as const } : {}),
        state: options.state ?? 'running',
        ...(options.availabilityZone ? { availabilityZone: options.availabilityZone } : {}),
        ...(options.imageId ? { imageId: options.imageId } : {}),
      }, options.attachedVolumes ?? 0));
    }
    return out;
  }

  /** Whether an image is visible to (and launchable by) the account: its own, public, or shared with it. */
  imageVisible(image: Image, accountId: string): boolean {
    return image.state !== 'deregistered'
      && (image.ownerId === accountId || image.isPublic || image.launchPermissions.has(accountId));
  }

  /** A JSON summary for the control API. */
  dump(): Record<string, unknown> {
    const tagsOf = (t: Map<string, string>) => Object.fromEntries(t);
    return {
      profile: this.profile.name,
      accounts: [...this.accountsById.values()].map((a) => ({ accountId: a.accountId, name: a.name, accessKeyId: a.accessKeyId })),
      counts: {
        instances: this.instances.size, volumes: this.volumes.size, snapshots: this.snapshots.size,
        images: this.images.size, bundleTasks: this.bundleTasks.size, conversionTasks: this.conversionTasks.size,
        buckets: this.s3.buckets.size, pendingWork: this.scheduler.pending,
      },
      instances: [...this.instances.values()].map((i) => ({ ...i, tags: tagsOf(i.tags) })),
      volumes: [...this.volumes.values()].map((v) => ({ ...v, tags: tagsOf(v.tags) })),
      snapshots: [...this.snapshots.values()].map((s) => ({ ...s, tags: tagsOf(s.tags) })),
      images: [...this.images.values()].map((i) => ({ ...i, tags: tagsOf(i.tags), launchPermissions: [...i.launchPermissions] })),
      bundleTasks: [...this.bundleTasks.values()],
      conversionTasks: [...this.conversionTasks.values()].map((c) => ({ ...c, tags: tagsOf(c.tags) })),
      buckets: [...this.s3.buckets.values()].map((b) => ({ name: b.name, ownerId: b.ownerId, keys: [...b.objects.keys()] })),
      events: this.events,
    };
  }
}
