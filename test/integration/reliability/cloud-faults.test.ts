// Cloud faults: slow, dropped and throttled calls, the endpoint gone for a while, credentials rotated, failed
// snapshots/images/bundles, an image deregistered by hand. Every run ends with the invariant checker.
import { expect } from 'chai';
import { OWNER_TAG } from '../../../src/api/constants.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker, type CloudBaseline } from './invariants.ts';
import { condOf, createCalls, diffCalls, waitSettled, type WithStatus } from './helpers.ts';


describe('reliability: cloud faults', function () {
  this.timeout(180_000);
  let s: Scenario;
  let t: ResourceTracker;
  let baseline: CloudBaseline;
  beforeEach(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: { verifyAvailableEveryMs: 500 } });
    t = new ResourceTracker(s);
    baseline = cloudBaseline(s);
  });
  afterEach(async () => {
    s?.sim.faults.clear();
    await s?.close();
  });

  it('slow, dropped, throttled and 5xx calls together: every capture completes with exactly one image', async function () {
    this.timeout(300_000);
    // Per-call rates a troubled cloud shows; a reconcile is retried whole with backoff, so much higher rates only
    // stretch the run (backoff grows to minutes), they do not change the outcome. A capture makes about 7 calls:
    // 4 captures (about 30 calls) at 8 % once ended without any drop (0.92^30: 8 % of runs); 8 captures make 70-100
    // calls with their retries, so at 12 % a run without a drop is about 1 in 7,000.
    s.sim.faults.set({ delay: { rate: 0.2, ms: 400 }, drop: { rate: 0.12 }, throttle: { rate: 0.05 }, serverError: { rate: 0.03 } });
    const before = createCalls(s);
    const captures = 8;
    for (let i = 0; i < captures; i++) {
      await t.create('imagecaptures', captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: i % 2 ? 'Orchestrated' : 'CreateImage', noReboot: true }));
    }
    await waitSettled(s, t.resources, 240_000);
    s.sim.faults.clear();
    const fired = { ...s.sim.faults.fired };
    const calls = diffCalls(createCalls(s), before);
    console.log(`      faults fired ${JSON.stringify(fired)}; creating calls ${JSON.stringify(calls)}`);
    expect(fired.drop ?? 0).to.be.greaterThan(0);
    expect(fired.delay ?? 0).to.be.greaterThan(0);
    const report = await checkInvariants(s, { resources: t.resources, baseline });
    expect(report.ready).to.equal(captures);
    // A dropped create may have reached the cloud: adoption by tag/name must still leave one image per capture.
    expect(report.cloud.images).to.equal(captures);
  });

  it('a throttling storm (every call throttled for a while): captures wait, then finish once it passes', async () => {
    s.sim.faults.set({ throttle: { rate: 1 } });
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true });
    await t.create('imagecaptures', m);
    await waitFor(() => (s.sim.faults.fired.throttle ?? 0) >= 5, { timeoutMs: 30_000, intervalMs: 50, message: 'throttled calls' });
    expect(condOf(await s.get<WithStatus>('imagecaptures', m.metadata.name), 'Stalled')?.status, 'throttling is not terminal').to.not.equal('True');
    s.sim.faults.clear(['throttle']);
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 90_000);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('the endpoint drops every connection for a while, then comes back: work resumes and nothing leaks', async () => {
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true });
    s.sim.faults.set({ drop: { rate: 1 } });
    await t.create('imagecaptures', m);
    // Down long enough for several retries with backoff.
    await waitFor(() => (s.sim.faults.fired.drop ?? 0) >= 5, { timeoutMs: 30_000, intervalMs: 50, message: 'dropped calls' });
    const waiting = await s.get<WithStatus>('imagecaptures', m.metadata.name);
    expect(condOf(waiting, 'Ready')?.status).to.not.equal('True');
    expect(condOf(waiting, 'Stalled')?.status, 'an outage is not terminal').to.not.equal('True');
    s.sim.faults.clear(['drop']);
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 90_000);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('credentials rotated: the old key is retired after the Secret is updated, and new captures still complete', async () => {
    const first = captureManifest(s, seedInstance(s).id);
    await t.create('imagecaptures', first);
    await s.waitForCondition('imagecaptures', first.metadata.name, 'Ready');
    const account = s.sim.state.accountsByKey.get('AKIDEMOEUCALYPTUS000')!;
    const rotated = { ...account, accessKeyId: 'AKIROTATEDEUCALYPT01', secretAccessKey: 'rotated-secret-key' };
    s.sim.state.accountsByKey.set(rotated.accessKeyId, rotated);
    await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${s.cloudName}-credentials` }, stringData: { accessKeyId: rotated.accessKeyId, secretAccessKey: rotated.secretAccessKey } }),
    });
    s.sim.state.accountsByKey.delete('AKIDEMOEUCALYPTUS000');
    const second = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true });
    await t.create('imagecaptures', second);
    await s.waitForCondition('imagecaptures', second.metadata.name, 'Ready', 'True', 90_000);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('failed snapshot, failed image and failed bundle: Stalled with the reason, temporary objects removed', async () => {
    s.sim.faults.set({ failSnapshot: { count: 1 } });
    const snap = captureManifest(s, seedInstance(s, { attachedVolumes: 2 }).id, { strategy: 'Orchestrated', noReboot: true });
    await t.create('imagecaptures', snap);
    const a = await s.waitForCondition('imagecaptures', snap.metadata.name, 'Stalled', 'True', 60_000);
    expect(condOf(a, 'Stalled')?.reason).to.equal('SnapshotFailed');

    s.sim.faults.set({ failImage: { count: 1 } });
    const img = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'CreateImage', noReboot: true });
    await t.create('imagecaptures', img);
    const b = await s.waitForCondition('imagecaptures', img.metadata.name, 'Stalled', 'True', 60_000);
    expect(condOf(b, 'Stalled')?.reason).to.be.oneOf(['ImageFailed', 'SnapshotFailed']);

    s.sim.faults.set({ failBundle: { count: 1 } });
    const [inst] = s.sim.state.seedInstances({ count: 1, rootDeviceType: 'instance-store' });
    const bundle = { metadata: { name: 'failing-bundle' }, spec: { cloudRef: { name: s.cloudName }, instanceId: inst!.id, storage: { bucket: 'demo-bundles', prefix: 'failing-bundle' } } };
    await t.create('instancebundles', bundle);
    const c = await s.waitForCondition('instancebundles', 'failing-bundle', 'Stalled', 'True', 60_000);
    expect(condOf(c, 'Stalled')?.reason).to.equal('BundleFailed');
    const report = await checkInvariants(s, { resources: t.resources, baseline });
    console.log(`      stalled ${JSON.stringify(report.stalled)}; cloud ${JSON.stringify(report.cloud)}`);
    // The failed snapshot's sibling is deleted; a failed CreateImage leaves no image behind.
    expect(report.cloud.images).to.equal(0);
  });

  it('CreateTags fails after CreateSnapshot and the snapshot fails too: the untagged failed snapshot is removed, the capture completes', async () => {
    s.sim.faults.set({ failSnapshot: { count: 1 }, serverError: { count: 1, actions: ['CreateTags'] } });
    const m = captureManifest(s, seedInstance(s).id, { strategy: 'Orchestrated', noReboot: true });
    await t.create('imagecaptures', m);
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 60_000);
    expect(s.sim.faults.fired.failSnapshot).to.equal(1);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('one CreateSnapshot refused while its sibling is slow: the retry adopts the slow one, each volume is snapshotted once', async () => {
    // The refusal ends the pass at once; the slow call lands 1.5 s later, after the retry's backoff.
    s.sim.faults.set({ delay: { count: 1, ms: 1_500, actions: ['CreateSnapshot'] }, throttle: { count: 1, actions: ['CreateSnapshot'] } });
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true });
    await t.create('imagecaptures', m);
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 60_000);
    expect(s.sim.faults.fired).to.include({ delay: 1, throttle: 1 });
    // The slow call arrived before the refused one was answered and is answered 1.5 s after arriving: by then
    // whatever it made is in the cloud, even had the capture finished without it.
    const refusedAt = s.sim.log.entries('CreateSnapshot').find((e) => e.code === 'RequestLimitExceeded')!.time.getTime();
    await waitFor(() => Date.now() > refusedAt + 2_500, { timeoutMs: 5_000, intervalMs: 100, message: 'the slow CreateSnapshot to be answered' });
    const owned = [...s.sim.state.snapshots.values()].filter((x) => (x.tags.get(OWNER_TAG) ?? '').startsWith(`${s.namespace}/${m.metadata.name}/`));
    expect(owned.map((x) => x.volumeId), 'one snapshot per volume').to.have.lengthOf(2).and.satisfy((ids: string[]) => new Set(ids).size === 2);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('CreateTags keeps failing after CreateSnapshot, then the capture is deleted: its untagged snapshots go too', async () => {
    s.sim.faults.set({ serverError: { rate: 1, actions: ['CreateTags'] } });
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true, deletionPolicy: 'Retain' });
    const before = s.sim.log.count('CreateSnapshot');
    await t.create('imagecaptures', m);
    await waitFor(() => (s.sim.faults.fired.serverError ?? 0) >= 3, { timeoutMs: 30_000, intervalMs: 20, message: 'CreateTags to fail a few times' });
    expect(s.sim.log.count('CreateSnapshot') - before, 'retries adopt by description, never a second snapshot').to.equal(2);
    await t.remove('imagecaptures', m.metadata.name);
    await s.waitGone('imagecaptures', m.metadata.name);
    s.sim.faults.clear();
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('RegisterImage succeeds but tagging the image keeps failing, then the capture is deleted: image and snapshots go', async () => {
    s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 1_500 };
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true, deletionPolicy: 'Delete' });
    await t.create('imagecaptures', m);
    const owned = () => [...s.sim.state.snapshots.values()].filter((x) => (x.tags.get(OWNER_TAG) ?? '').startsWith(`${s.namespace}/${m.metadata.name}/`));
    await waitFor(() => owned().length === 2, { timeoutMs: 30_000, intervalMs: 20, message: 'snapshots tagged' });
    s.sim.faults.set({ serverError: { rate: 1, actions: ['CreateTags'] } });
    const registered = s.sim.log.count('RegisterImage');
    await waitFor(() => s.sim.log.count('RegisterImage') > registered && (s.sim.faults.fired.serverError ?? 0) >= 2, { timeoutMs: 30_000, intervalMs: 20, message: 'image registered, its tags refused' });
    await t.remove('imagecaptures', m.metadata.name);
    await s.waitGone('imagecaptures', m.metadata.name, 30_000);
    s.sim.faults.clear();
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('an image deregistered by hand: the capture says so (Stalled ImageDeregistered) and never re-creates it', async () => {
    const m = captureManifest(s, seedInstance(s).id);
    await t.create('imagecaptures', m);
    const ready = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready');
    const imageId = (ready.status as { imageId: string }).imageId;
    const creates = s.sim.log.count('CreateImage') + s.sim.log.count('RegisterImage');
    s.sim.state.images.get(imageId)!.state = 'deregistered';
    // A vanished id is reported after the poller's not-found grace (30 s, for eventual consistency).
    const stalled = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000);
    expect(condOf(stalled, 'Stalled')?.reason).to.equal('ImageDeregistered');
    expect(condOf(stalled, 'Ready')?.status).to.equal('False');
    expect(condOf(stalled, 'Stalled')?.message).to.include(imageId);
    // Several verify periods later: still no new image.
    const seen = s.sim.log.count('DescribeImages');
    await waitFor(() => s.sim.log.count('DescribeImages') >= seen + 2 || undefined, { timeoutMs: 5_000, intervalMs: 100, message: 'more looks' }).catch(() => undefined);
    expect(s.sim.log.count('CreateImage') + s.sim.log.count('RegisterImage')).to.equal(creates);
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
