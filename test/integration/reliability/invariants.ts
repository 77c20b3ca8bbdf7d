// The "nothing lost, nothing leaked, nothing foreign touched" check every reliability test ends with. It reads
// the resources from the API server and the cloud straight from the simulator's state, and compares the
// objects nobody in the test may change (other accounts', untagged pre-existing ones) with a baseline taken
// before the run.
import { expect } from 'chai';
import { OWNER_TAG } from '../../../src/api/constants.ts';
import type { Condition, ImageCapture, InstanceBundle } from '../../../src/api/types.ts';
import { GROUP, VERSION } from '../../../src/api/constants.ts';
import type { Scenario, PluralKind } from '../support/scenario.ts';

type Plural = Exclude<PluralKind, 'cloudprofiles'>;

/** A resource a test created, remembered with its spec so a deleted one can still be judged. */
export interface TrackedResource {
  plural: Plural;
  name: string;
  spec: Record<string, unknown>;
  /** The test deleted it: it must be gone (finalizer released). */
  deleted?: boolean;
}

/** Creates and deletes resources through the scenario and remembers them for the checker. */
export class ResourceTracker {
  readonly resources: TrackedResource[] = [];
  private readonly s: Scenario;

  constructor(s: Scenario) {
    this.s = s;
  }

  async create(plural: Plural, manifest: { metadata: { name: string }; spec: Record<string, unknown> }): Promise<void> {
    await this.s.create(plural, manifest);
    this.resources.push({ plural, name: manifest.metadata.name, spec: manifest.spec });
  }

  async remove(plural: Plural, name: string): Promise<void> {
    await this.s.remove(plural, name);
    const r = this.resources.find((x) => x.plural === plural && x.name === name);
    if (r) r.deleted = true;
  }
}

/** Fingerprints of the objects the operator must never change, taken before the run. */
export interface CloudBaseline {
  accountId: string;
  fingerprints: Map<string, string>;
  ids: Set<string>;
  /** `bucket/key` of every S3 object that existed. */
  objects: Set<string>;
}

const ACTIVE_BUNDLE = new Set(['pending', 'waiting-for-shutdown', 'bundling', 'storing', 'cancelling']);

function operatorAccount(s: Scenario, accessKeyId?: string): string {
  const key = accessKeyId ?? [...s.sim.state.accountsByKey.keys()][0]!;
  const account = s.sim.state.accountsByKey.get(key);
  if (!account) throw new Error(`no account with access key ${key} in the simulator`);
  return account.accountId;
}

function fingerprints(s: Scenario, accountId: string): Map<string, string> {
  const st = s.sim.state;
  const out = new Map<string, string>();
  const tags = (t: Map<string, string>) => JSON.stringify([...t.entries()].sort());
  const untouchable = (ownerId: string, t: Map<string, string>) => ownerId !== accountId || !t.has(OWNER_TAG);
  for (const i of st.instances.values()) {
    // The operator's own account's instances are rebooted by captures (that is their job); others' never.
    if (i.ownerId !== accountId) out.set(i.id, JSON.stringify([i.state, i.rebootCount, tags(i.tags), i.attachments.map((a) => a.volumeId)]));
  }
  for (const v of st.volumes.values()) if (untouchable(v.ownerId, v.tags)) out.set(v.id, JSON.stringify([v.status, v.size, v.attachedTo, tags(v.tags)]));
  for (const x of st.snapshots.values()) if (untouchable(x.ownerId, x.tags)) out.set(x.id, JSON.stringify([x.status === 'failed' ? 'failed' : 'ok', x.description, tags(x.tags)]));
  for (const i of st.images.values()) if (untouchable(i.ownerId, i.tags)) out.set(i.id, JSON.stringify([i.state, i.name, i.isPublic, tags(i.tags)]));
  for (const b of st.s3.buckets.values()) {
    for (const o of b.objects.values()) out.set(`s3://${b.name}/${o.key}`, o.etag);
  }
  return out;
}

/** Takes the baseline: call it before creating any resource. */
export function cloudBaseline(s: Scenario, accessKeyId?: string): CloudBaseline {
  const accountId = operatorAccount(s, accessKeyId);
  const st = s.sim.state;
  const ids = new Set<string>([...st.instances.keys(), ...st.volumes.keys(), ...st.snapshots.keys(), ...st.images.keys(),
    ...st.bundleTasks.keys(), ...st.conversionTasks.keys()]);
  const objects = new Set<string>();
  for (const b of st.s3.buckets.values()) for (const k of b.objects.keys()) objects.add(`${b.name}/${k}`);
  return { accountId, fingerprints: fingerprints(s, accountId), ids, objects };
}

/**
 * Objects a test made by hand during the run (someone else's image of the same name, say): from now on the
 * checker treats them like foreign objects, so any change or deletion by the operator fails the run.
 */
export function protectObjects(s: Scenario, baseline: CloudBaseline, ids: string[]): void {
  for (const id of ids) {
    const print = fingerprintOf(s, id);
    if (!print) throw new Error(`protectObjects: ${id} is neither an image nor a snapshot`);
    baseline.fingerprints.set(id, print);
    baseline.ids.add(id);
  }
}

/** The fingerprint of one image or snapshot whatever its tags (a protected object may carry another resource's owner tag). */
function fingerprintOf(s: Scenario, id: string): string | undefined {
  const st = s.sim.state;
  const tags = (t: Map<string, string>) => JSON.stringify([...t.entries()].sort());
  const img = st.images.get(id);
  const snap = st.snapshots.get(id);
  if (img) return JSON.stringify([img.state, img.name, img.isPublic, tags(img.tags)]);
  if (snap) return JSON.stringify([snap.status === 'failed' ? 'failed' : 'ok', snap.description, tags(snap.tags)]);
  return undefined;
}

export interface InvariantReport {
  resources: number;
  ready: number;
  deleted: number;
  stalled: Record<string, number>;
  cloud: { images: number; snapshots: number; volumes: number; bundleTasks: number; s3Objects: number };
  leaks: string[];
  foreignChanged: string[];
  problems: string[];
}

type Live = (ImageCapture | InstanceBundle) & { status?: Record<string, unknown> & { conditions?: Condition[] } };

async function listLive(s: Scenario, namespace: string, plural: Plural): Promise<Live[]> {
  const list = await s.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural }) as { items: Live[] };
  return list.items;
}

function cond(o: Live, type: string): Condition | undefined {
  return o.status?.conditions?.find((c) => c.type === type);
}

/**
 * Checks the invariants after a run in which every resource has settled (Ready, Stalled, or gone). Returns the
 * report; fails the test (chai) when anything leaked, a foreign object changed, or status disagrees with the cloud.
 */
/** Fairness: this resource became Ready within `withinMs` of its creation, whatever other clouds were doing. */
export interface FairnessBound {
  plural: Plural;
  name: string;
  withinMs: number;
}

export async function checkInvariants(s: Scenario, o: { namespace?: string; resources: TrackedResource[]; baseline: CloudBaseline; assert?: boolean; fairness?: FairnessBound[] }): Promise<InvariantReport> {
  const namespace = o.namespace ?? s.namespace;
  const st = s.sim.state;
  const report: InvariantReport = {
    resources: o.resources.length, ready: 0, deleted: 0, stalled: {},
    cloud: { images: 0, snapshots: 0, volumes: 0, bundleTasks: 0, s3Objects: 0 }, leaks: [], foreignChanged: [], problems: [],
  };
  const live = new Map<string, Live>();
  for (const plural of ['imagecaptures', 'instancebundles'] as const) {
    for (const item of await listLive(s, namespace, plural)) live.set(`${plural}/${item.metadata.name}`, item);
  }
  const tracked = new Map(o.resources.map((r) => [`${r.plural}/${r.name}`, r]));

  // Cloud objects a resource may legitimately keep: named in a live status, or left by a deleted Retain resource.
  const allowed = new Set<string>();
  const allowedS3Prefixes: string[] = [];
  const ownerOf = (tags: Map<string, string>) => tags.get(OWNER_TAG) ?? '';

  for (const [key, r] of tracked) {
    const obj = live.get(key);
    if (r.deleted) {
      if (obj) report.problems.push(`${key} was deleted but still exists (finalizers ${JSON.stringify(obj.metadata.finalizers)})`);
      else report.deleted++;
      const retain = (r.spec['deletionPolicy'] ?? 'Retain') === 'Retain';
      if (!retain) continue;
      // Retain keeps the registered image with its snapshots, and an InstanceBundle's stored bundle.
      const prefix = `${namespace}/${r.name}/`;
      for (const img of st.images.values()) {
        if (img.state !== 'deregistered' && ownerOf(img.tags).startsWith(prefix)) {
          allowed.add(img.id);
          for (const m of img.blockDeviceMappings) if (m.ebs?.snapshotId) allowed.add(m.ebs.snapshotId);
        }
      }
      if (r.plural === 'instancebundles') {
        const storage = r.spec['storage'] as { bucket: string; prefix: string };
        allowedS3Prefixes.push(`${storage.bucket}/${storage.prefix}.`);
        for (const img of st.images.values()) if (img.imageLocation === `${storage.bucket}/${storage.prefix}.manifest.xml` && img.state !== 'deregistered') allowed.add(img.id);
      }
      continue;
    }
    if (!obj) {
      report.problems.push(`${key} is missing from the API server`);
      continue;
    }
    const ready = cond(obj, 'Ready')?.status === 'True';
    const stalled = cond(obj, 'Stalled')?.status === 'True' ? cond(obj, 'Stalled')!.reason : undefined;
    if (ready) report.ready++;
    else if (stalled) report.stalled[stalled] = (report.stalled[stalled] ?? 0) + 1;
    else report.problems.push(`${key} has not settled (neither Ready nor Stalled): ${JSON.stringify(obj.status?.conditions?.map((c) => [c.type, c.status, c.reason]))}`);
    const status = (obj.status ?? {}) as Record<string, unknown> & { snapshots?: Array<{ snapshotId?: string }>; retainedObjects?: string[] };
    for (const id of [status['imageId'], status['bundleId'], ...(status.retainedObjects ?? []), ...(status.snapshots ?? []).map((x) => x.snapshotId)]) {
      if (typeof id === 'string') allowed.add(id);
    }
    const imageId = status['imageId'] as string | undefined;
    if (imageId) {
      const img = st.images.get(imageId);
      if (ready && (!img || img.state !== 'available')) report.problems.push(`${key} is Ready but its image ${imageId} is ${img?.state ?? 'missing'}`);
      if (img) for (const m of img.blockDeviceMappings) if (m.ebs?.snapshotId) allowed.add(m.ebs.snapshotId);
    }
    const owner = `${namespace}/${obj.metadata.name}/${obj.metadata.uid}`;
    if (obj.kind === 'ImageCapture') {
      const owned = {
        images: [...st.images.values()].filter((i) => i.state !== 'deregistered' && ownerOf(i.tags) === owner),
        snapshots: [...st.snapshots.values()].filter((x) => ownerOf(x.tags) === owner),
      };
      if (ready) {
        if (owned.images.length !== 1 || owned.images[0]!.id !== imageId) report.problems.push(`${key}: cloud holds images ${owned.images.map((i) => i.id)} but status names ${imageId}`);
        const img = st.images.get(imageId ?? '');
        const mapped = new Set((img?.blockDeviceMappings ?? []).map((m) => m.ebs?.snapshotId).filter(Boolean));
        const extra = owned.snapshots.filter((x) => !mapped.has(x.id));
        if (img?.rootDeviceType === 'ebs' && extra.length) report.problems.push(`${key}: snapshots ${extra.map((x) => x.id)} are not in image ${imageId}`);
        for (const x of status.snapshots ?? []) {
          if (x.snapshotId && st.snapshots.get(x.snapshotId)?.status !== 'completed') report.problems.push(`${key}: status snapshot ${x.snapshotId} is ${st.snapshots.get(x.snapshotId)?.status ?? 'missing'}`);
        }
      }
    } else {
      const ib = obj as InstanceBundle;
      const tasks = [...st.bundleTasks.values()].filter((t) => t.bucket === ib.spec.storage.bucket && t.prefix === ib.spec.storage.prefix && t.phase !== 'failed' && t.phase !== 'cancelled');
      if (ready) {
        if (tasks.length !== 1 || tasks[0]!.id !== status['bundleId'] || tasks[0]!.phase !== 'complete') report.problems.push(`${key}: bundle tasks ${tasks.map((t) => `${t.id}:${t.phase}`)} but status names ${String(status['bundleId'])}`);
        if (!st.s3.get(ib.spec.storage.bucket, `${ib.spec.storage.prefix}.manifest.xml`)) report.problems.push(`${key}: Ready but no manifest in ${ib.spec.storage.bucket}`);
      }
      allowedS3Prefixes.push(`${ib.spec.storage.bucket}/${ib.spec.storage.prefix}.`);
      for (const img of st.images.values()) if (img.imageLocation === `${ib.spec.storage.bucket}/${ib.spec.storage.prefix}.manifest.xml` && img.state !== 'deregistered' && img.id === imageId) allowed.add(img.id);
    }
  }

  // Everything made during the run must be allowed by the rules above.
  const isNew = (id: string) => !o.baseline.ids.has(id);
  for (const img of st.images.values()) {
    if (!isNew(img.id) || img.state === 'deregistered') continue;
    report.cloud.images++;
    if (!allowed.has(img.id)) report.leaks.push(`image ${img.id} (${img.name}, owner ${ownerOf(img.tags) || 'untagged'})`);
  }
  for (const x of st.snapshots.values()) {
    if (!isNew(x.id)) continue;
    report.cloud.snapshots++;
    if (!allowed.has(x.id)) report.leaks.push(`snapshot ${x.id} of ${x.volumeId} (${x.status}, owner ${ownerOf(x.tags) || 'untagged'})`);
  }
  for (const v of st.volumes.values()) {
    // New volumes attached to a new instance belong to it (seeded by the test), not to the operator.
    if (!isNew(v.id) || v.status === 'deleted' || v.attachedTo) continue;
    report.cloud.volumes++;
    if (!allowed.has(v.id)) report.leaks.push(`volume ${v.id} (${v.status}, owner ${ownerOf(v.tags) || 'untagged'})`);
  }
  for (const t of st.bundleTasks.values()) {
    if (!isNew(t.id)) continue;
    report.cloud.bundleTasks++;
    if (ACTIVE_BUNDLE.has(t.phase)) report.leaks.push(`bundle task ${t.id} still ${t.phase} (${t.bucket}/${t.prefix})`);
  }
  for (const c of st.conversionTasks.values()) {
    if (isNew(c.id) && (c.state === 'active' || c.state === 'cancelling')) report.leaks.push(`conversion task ${c.id} still ${c.state}`);
  }
  for (const b of st.s3.buckets.values()) {
    for (const k of b.objects.keys()) {
      const path = `${b.name}/${k}`;
      if (o.baseline.objects.has(path)) continue;
      report.cloud.s3Objects++;
      if (!allowedS3Prefixes.some((p) => path.startsWith(p))) report.leaks.push(`s3 object ${path}`);
    }
  }

  // Foreign and untagged pre-existing objects: unchanged, still there.
  const now = fingerprints(s, o.baseline.accountId);
  for (const [id, before] of o.baseline.fingerprints) {
    const after = now.get(id) ?? fingerprintOf(s, id);
    if (after === undefined) {
      const x = st.snapshots.get(id) ?? st.volumes.get(id) ?? st.images.get(id);
      report.foreignChanged.push(`${id} is gone${x ? ' or was tagged by the operator' : ''}`);
    } else if (after !== before) {
      report.foreignChanged.push(`${id} changed: ${before} -> ${after}`);
    }
  }

  for (const f of o.fairness ?? []) {
    const obj = live.get(`${f.plural}/${f.name}`);
    const ready = obj && cond(obj, 'Ready');
    if (!obj || ready?.status !== 'True') {
      report.problems.push(`fairness: ${f.plural}/${f.name} is not Ready`);
      continue;
    }
    // Both stamps have second precision: allow the one second they may round away.
    const took = Date.parse(ready.lastTransitionTime) - Date.parse(obj.metadata.creationTimestamp as unknown as string);
    if (took > f.withinMs + 1_000) report.problems.push(`fairness: ${f.plural}/${f.name} took ${took} ms to be Ready, more than ${f.withinMs} ms`);
  }

  if (o.assert !== false) {
    expect(report.leaks, 'leaked cloud objects').to.deep.equal([]);
    expect(report.foreignChanged, 'foreign or untagged objects changed').to.deep.equal([]);
    expect(report.problems, 'status disagrees with the cloud').to.deep.equal([]);
  }
  return report;
}
