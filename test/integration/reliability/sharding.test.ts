// Three operator processes over one API server and one cloud: the main shard and shards a and b, each with its own
// Lease. Every resource is reconciled by exactly one of them, which the API server itself records: each shard
// writes under its own field manager, so an object's managedFields name every shard that ever wrote it. A resource
// labelled for a shard that is not running is left alone, and relabelling moves a resource to another shard. A
// CloudProfile's status is written by its own shard; a schedule's captures go to the schedule's shard.
import { expect } from 'chai';
import type { V1ManagedFieldsEntry } from '@kubernetes/client-node';
import { freePort, waitFor } from '../../env/index.ts';
import { SHARD_LABEL } from '../../../src/api/shard.ts';
import { FIELD_MANAGER } from '../../../src/runtime/rest.ts';
import { startScenario, type PluralKind, type Scenario } from '../support/scenario.ts';
import { captureManifest, ownedObjects, seedInstance } from '../imagecapture/helpers.ts';
import { leaseHolder, spawnOperator, type OperatorProcess } from './helpers.ts';

const MAIN = FIELD_MANAGER;
const manager = (shard: string) => `${FIELD_MANAGER}-shard-${shard}`;

describe('sharding: a main shard and two named shards over one API server', function () {
  this.timeout(300_000);
  let s: Scenario;
  const procs: OperatorProcess[] = [];
  /** The /metrics port of each shard's process, by shard name. */
  const metricsPorts = new Map<string, number>();
  after(async () => {
    for (const p of procs) await p.stop();
    await s?.close();
  });

  /** The operator field managers (one per shard) that wrote the object, as the API server recorded them. */
  async function writers(plural: PluralKind, name: string): Promise<string[]> {
    const r = await s.env.kubectl(['get', '-n', s.namespace, plural, name, '-o', 'json', '--show-managed-fields']);
    expect(r.code, r.stderr).to.equal(0);
    const fields = (JSON.parse(r.stdout) as { metadata: { managedFields?: V1ManagedFieldsEntry[] } }).metadata.managedFields ?? [];
    return [...new Set(fields.map((f) => f.manager ?? '').filter((m) => m.startsWith(FIELD_MANAGER)))].sort();
  }

  const labelled = <T extends { metadata: Record<string, unknown> }>(body: T, shard?: string): T =>
    shard ? { ...body, metadata: { ...body.metadata, labels: { [SHARD_LABEL]: shard } } } : body;

  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-4.0', operator: false });
    for (const shard of [undefined, 'a', 'b']) {
      const port = await freePort();
      metricsPorts.set(shard ?? 'main', port);
      procs.push(spawnOperator(s, { EIO_LEADER_ELECT: 'true', EIO_IDENTITY: `op-${shard ?? 'main'}`, EIO_HEALTH_PORT: String(port), ...(shard ? { EIO_SHARD: shard } : {}) }));
    }
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 60_000);
  });

  it('gives each shard its own Lease, and the unlabelled CloudProfile to the main shard alone', async () => {
    await waitFor(async () => (await leaseHolder(s, 'eucalyptus-image-operator')) === 'op-main'
      && (await leaseHolder(s, 'eucalyptus-image-operator-shard-a')) === 'op-a'
      && (await leaseHolder(s, 'eucalyptus-image-operator-shard-b')) === 'op-b', { timeoutMs: 60_000, message: 'one leader per shard' });
    expect(await writers('cloudprofiles', s.cloudName)).to.deep.equal([MAIN]);
  });

  it('reconciles every resource in exactly the shard its label names; a shard that is not running gets nothing', async () => {
    const bundleInstance = s.sim.state.seedInstances({ count: 1, rootDeviceType: 'instance-store' })[0]!;
    const resources: [PluralKind, string, string | undefined][] = [
      ['imagecaptures', 'sh-main', undefined], ['imagecaptures', 'sh-a', 'a'], ['imagecaptures', 'sh-b', 'b'],
      ['instancebundles', 'sh-bundle-b', 'b'],
    ];
    for (const [plural, name, shard] of resources) {
      const body = plural === 'imagecaptures'
        ? captureManifest(s, seedInstance(s).id, { strategy: 'CreateImage', noReboot: true, deletionPolicy: 'Delete' }, name)
        : { metadata: { name }, spec: { cloudRef: { name: s.cloudName }, instanceId: bundleInstance.id, storage: { bucket: 'demo-bundles', prefix: name }, register: { name: `${name}-${Date.now()}` } } };
      await s.create(plural, labelled(body, shard));
    }
    await s.create('imagecaptures', labelled(captureManifest(s, seedInstance(s).id, { strategy: 'CreateImage', noReboot: true }, 'sh-c'), 'c'));
    for (const [plural, name] of resources) await s.waitForCondition(plural, name, 'Ready', 'True', 90_000);
    for (const [plural, name, shard] of resources) {
      expect(await writers(plural, name), `${plural}/${name}`).to.deep.equal([shard ? manager(shard) : MAIN]);
    }
    const waiting = await s.get<{ status?: { conditions?: unknown[] }; metadata: { finalizers?: string[] } }>('imagecaptures', 'sh-c');
    expect(waiting?.status?.conditions, 'no shard c runs: nobody writes its status').to.equal(undefined);
    expect(waiting?.metadata.finalizers ?? []).to.deep.equal([]);
    expect(await writers('imagecaptures', 'sh-c')).to.deep.equal([]);
    expect(ownedObjects(s, s.namespace, 'sh-c').images).to.deep.equal([]);
  });

  it('labels every metric of a shard process with its shard: main, a, b', async () => {
    for (const [shard, port] of metricsPorts) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text, shard).to.contain(`eio_leader{shard="${shard}"} 1`);
      expect(text, shard).to.match(new RegExp(`^eio_reconcile_total\\{controller="imagecapture",outcome="[a-z]+",shard="${shard}"\\} [1-9]`, 'm'));
      const series = text.split('\n').filter((l) => l && !l.startsWith('#'));
      expect(series.filter((l) => !l.includes(`shard="${shard}"`)), `${shard}: series without its shard label`).to.deep.equal([]);
    }
  });

  it("gives a labelled CloudProfile's status to its shard, while the other shards use it", async () => {
    const cloud = await s.get<{ metadata?: object; spec: Record<string, unknown> }>('cloudprofiles', s.cloudName);
    await s.create('cloudprofiles', labelled({ metadata: { name: 'cloud-a' }, spec: cloud!.spec }, 'a'));
    await s.waitForCondition('cloudprofiles', 'cloud-a', 'Ready', 'True', 60_000);
    expect(await writers('cloudprofiles', 'cloud-a')).to.deep.equal([manager('a')]);
    const body = captureManifest(s, seedInstance(s).id, { strategy: 'CreateImage', noReboot: true }, 'sh-main-on-a');
    await s.create('imagecaptures', { ...body, spec: { ...body.spec, cloudRef: { name: 'cloud-a' } } });
    await s.waitForCondition('imagecaptures', 'sh-main-on-a', 'Ready', 'True', 60_000);
    expect(await writers('imagecaptures', 'sh-main-on-a')).to.deep.equal([MAIN]);
  });

  it("creates a schedule's captures in the schedule's shard", async () => {
    const instance = seedInstance(s);
    await s.create('imageschedules', labelled({
      metadata: { name: 'sh-sched' },
      spec: { schedule: '* * * * *', instances: { ids: [instance.id] }, captureTemplate: { cloudRef: { name: s.cloudName }, noReboot: true, image: { nameTemplate: '{schedule}-{instance}-{time}' } } },
    }, 'b'));
    // The first run is at the next minute on the wall clock.
    const capture = await waitFor(async () => {
      const list = await s.custom.listNamespacedCustomObject({ group: 'imaging.eucalyptus.dev', version: 'v1alpha1', namespace: s.namespace, plural: 'imagecaptures', labelSelector: 'imaging.eucalyptus.dev/schedule=sh-sched' }) as { items: Array<{ metadata: { name: string; labels?: Record<string, string> } }> };
      return list.items[0];
    }, { timeoutMs: 90_000, intervalMs: 500, message: 'the schedule to create a capture' });
    expect(capture.metadata.labels).to.include({ [SHARD_LABEL]: 'b' });
    await s.waitForCondition('imagecaptures', capture.metadata.name, 'Ready', 'True', 60_000);
    expect(await writers('imagecaptures', capture.metadata.name)).to.deep.equal([manager('b')]);
    expect(await writers('imageschedules', 'sh-sched')).to.deep.equal([manager('b')]);
  });

  it('moves a resource with its label: to a running shard, and a Ready one whose deletion the new shard carries out', async () => {
    const relabel = (name: string, shard: string) => s.env.kubectl(['label', '--overwrite', '-n', s.namespace, 'imagecapture', name, `${SHARD_LABEL}=${shard}`]);
    expect((await relabel('sh-c', 'a')).code).to.equal(0);
    await s.waitForCondition('imagecaptures', 'sh-c', 'Ready', 'True', 60_000);
    expect(await writers('imagecaptures', 'sh-c')).to.deep.equal([manager('a')]);

    // sh-a, Ready in shard a, moves to b: a no longer sees it, so only b can take the finalizer off.
    expect(ownedObjects(s, s.namespace, 'sh-a').images).to.have.length(1);
    expect((await relabel('sh-a', 'b')).code).to.equal(0);
    await s.remove('imagecaptures', 'sh-a');
    await s.waitGone('imagecaptures', 'sh-a', 60_000);
    expect(ownedObjects(s, s.namespace, 'sh-a').images, 'the image deregistered by the Delete policy').to.deep.equal([]);
    for (const p of procs) expect(p.child.exitCode, p.output()).to.equal(null);
    const lines = procs[2]!.output();
    expect(lines, 'shard b logged no error').not.to.match(/"level":50/);
  });
});
