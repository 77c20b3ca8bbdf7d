// InstanceBundles under a CloudProfile repointed at another cloud (endpoint) after they made objects: nothing of
// theirs is looked up, changed or deleted in the new cloud. A finished bundle stays Ready (an edit that needs the
// cloud says CloudChanged), one whose task is running stalls CloudChanged, a Delete deletion waits with the reason
// until the abandon annotation releases it; pointing the profile back resumes the one in flight.
import { expect } from 'chai';
import { ABANDON_ANNOTATION } from '../../../src/api/constants.ts';
import type { InstanceBundle } from '../../../src/api/types.ts';
import { startEucasim, type Eucasim } from '../../../sim/server.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { BUNDLE_FIXTURES, bundleObjects, seed, tasksOf, waitForStatus } from '../instancebundle/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { condOf, eventsOf } from './helpers.ts';
import { applyProfile, PROFILE, profileGeneration, touching } from './repoint.ts';

/** A bucket of this test only: a request naming it in the second cloud is one about our objects. */
const BUCKET = 'repointed-bundles';

function manifest(instanceId: string, name: string, register: boolean) {
  return {
    metadata: { name },
    spec: {
      cloudRef: { name: PROFILE }, instanceId, deletionPolicy: 'Delete',
      storage: { bucket: BUCKET, prefix: name, createBucket: true },
      ...(register ? { register: { name: `${name}-image` } } : {}),
    },
  };
}

describe('reliability: a repointed CloudProfile is another cloud for the objects of InstanceBundles', function () {
  this.timeout(300_000);
  let s: Scenario;
  let other: Eucasim;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', fixtures: BUNDLE_FIXTURES });
    // The same accounts and buckets as the first cloud: a request about our objects there would not even fail.
    other = await startEucasim({ port: 0, profile: 'eucalyptus-3.4', fixtures: BUNDLE_FIXTURES, latency: 'zero' });
  });
  after(async () => {
    await s?.close();
    await other?.close();
  });

  it('another endpoint: nothing of a finished or running bundle is touched in the second cloud; pointing back resumes', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    await applyProfile(s, s.sim, `${s.cloudName}-credentials`);
    await profileGeneration(s);
    // Two finished bundles: one is edited while the profile points elsewhere, one is deleted meanwhile.
    const readyInstance = seed(s);
    const goneInstance = seed(s);
    const ready = manifest(readyInstance.id, 'moved-ready', true);
    const gone = manifest(goneInstance.id, 'moved-deleted', true);
    await t.create('instancebundles', ready);
    await t.create('instancebundles', gone);
    const done = (await s.waitForCondition('instancebundles', ready.metadata.name, 'Ready', 'True', 90_000)) as unknown as InstanceBundle;
    const goneDone = (await s.waitForCondition('instancebundles', gone.metadata.name, 'Ready', 'True', 90_000)) as unknown as InstanceBundle;
    const imageId = done.status!.imageId!;
    const goneImage = goneDone.status!.imageId!;
    const goneObjects = bundleObjects(s, BUCKET, gone.metadata.name);
    expect(goneObjects.length).to.be.greaterThan(1);
    expect(done.status!.cloud!.endpoint).to.equal(s.sim.url.replace(/\/+$/, ''));
    expect(done.status!.cloud!.accountId).to.equal('000100020003');

    // Slow enough to repoint the profile while the task runs.
    s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 10_000 };
    const flightInstance = seed(s);
    const inFlight = manifest(flightInstance.id, 'moved-in-flight', true);
    await t.create('instancebundles', inFlight);
    // Status records the task id with the next real change: that the task runs is read from the cloud.
    await waitForStatus(s, 'instancebundles', inFlight.metadata.name, (st) => st['phase'] === 'Bundling');
    await waitFor(async () => tasksOf(s, flightInstance.id).length === 1, { timeoutMs: 30_000, message: 'the bundle task' });
    const flightTask = tasksOf(s, flightInstance.id)[0]!.id;

    const since = Date.now();
    await applyProfile(s, other, `${s.cloudName}-credentials`);
    await profileGeneration(s);
    const stalled = await s.waitForCondition('instancebundles', inFlight.metadata.name, 'Stalled', 'True', 60_000);
    expect(condOf(stalled, 'Stalled')?.reason).to.equal('CloudChanged');
    expect(condOf(stalled, 'Stalled')?.message).to.include(s.sim.url.replace(/\/+$/, '')).and.include(other.url.replace(/\/+$/, '')).and.include(ABANDON_ANNOTATION);
    // The task finishes in the first cloud meanwhile; the bundle learns of it only once pointed back.
    s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 0 };

    // A finished bundle: an edit that needs the cloud cannot be applied, yet the bundle stays Ready and never says
    // its image or bundle is gone.
    const r = await s.env.kubectl(['patch', 'instancebundle', ready.metadata.name, '-n', s.namespace, '--type=merge', '-p', JSON.stringify({ spec: { launchPermissions: ['all'] } })]);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(async () => condOf(await s.get('instancebundles', ready.metadata.name), 'CloudProfileReady')?.reason === 'CloudChanged', { timeoutMs: 30_000, message: 'CloudProfileReady=False CloudChanged' });
    await new Promise((res) => setTimeout(res, 2_000));
    const still = (await s.get<InstanceBundle>('instancebundles', ready.metadata.name))!;
    expect(condOf(still, 'Ready')?.status).to.equal('True');
    expect(condOf(still, 'Stalled')?.status).to.equal('False');
    expect(still.status!.phase).to.equal('Available');
    expect(still.status!.imageId).to.equal(imageId);
    expect(condOf(still, 'CloudProfileReady')?.message).to.include(imageId);
    const claims = (await eventsOf(s, ready.metadata.name)).filter((e) => ['ImageDeregistered', 'BundleFailed'].includes(e.reason ?? ''));
    expect(claims.map((e) => e.message), 'no claim that the image or bundle is gone').to.deep.equal([]);
    expect(s.sim.state.images.get(imageId)?.isPublic, 'the edit was not applied anywhere').to.equal(false);

    // Delete waits, saying why and what the way out is.
    await t.remove('instancebundles', gone.metadata.name);
    await waitFor(async () => condOf(await s.get('instancebundles', gone.metadata.name), 'Reconciling')?.reason === 'CloudChanged', { timeoutMs: 20_000, message: 'deletion blocked CloudChanged' });
    const blocked = (await s.get<InstanceBundle>('instancebundles', gone.metadata.name))!;
    expect(blocked.status!.phase).to.equal('Deleting');
    expect(condOf(blocked, 'Reconciling')?.message).to.include(goneImage).and.include(ABANDON_ANNOTATION);
    expect((await eventsOf(s, gone.metadata.name)).some((e) => e.reason === 'DeletionBlocked' && /CloudChanged|created in/.test(e.message ?? ''))).to.equal(true);
    // The abandon annotation releases it without a call: its image, task and objects stay in the first cloud.
    const abandonedAt = Date.now();
    const a = await s.env.kubectl(['annotate', '-n', s.namespace, 'instancebundles', gone.metadata.name, `${ABANDON_ANNOTATION}=true`]);
    expect(a.code, a.stderr).to.equal(0);
    await s.waitGone('instancebundles', gone.metadata.name, 30_000);
    expect((await eventsOf(s, gone.metadata.name)).some((e) => e.reason === 'CloudObjectsAbandoned' && (e.message ?? '').includes(goneImage))).to.equal(true);
    expect(touching(s.sim, abandonedAt, [goneImage, goneDone.status!.bundleId!, goneInstance.id, gone.metadata.name]), 'abandon calls nothing').to.deep.equal([]);
    expect(s.sim.state.images.get(goneImage)?.state).to.equal('available');
    expect(bundleObjects(s, BUCKET, gone.metadata.name)).to.deep.equal(goneObjects);
    // Abandoned objects stay by the user's decision, as a Retain deletion's do.
    t.resources.find((x) => x.name === gone.metadata.name)!.spec = { ...gone.spec, deletionPolicy: 'Retain' };

    const needles = [`${s.namespace}/`, imageId, goneImage, done.status!.bundleId!, goneDone.status!.bundleId!, flightTask, readyInstance.id, goneInstance.id, flightInstance.id, BUCKET];
    expect(other.log.entries().some((e) => e.time.getTime() >= since), 'the other cloud was asked (the profile check)').to.equal(true);
    expect(touching(other, since, needles), 'nothing of ours looked up, changed or deleted in the other cloud').to.deep.equal([]);

    // Back to the first cloud: the bundle in flight finds its finished task, registers and becomes Ready there; the
    // edit of the finished one is applied and its condition goes.
    await applyProfile(s, s.sim, `${s.cloudName}-credentials`);
    await profileGeneration(s);
    const resumed = (await s.waitForCondition('instancebundles', inFlight.metadata.name, 'Ready', 'True', 90_000)) as unknown as InstanceBundle;
    expect(resumed.status!.bundleId).to.equal(flightTask);
    const flightImage = resumed.status!.imageId!;
    expect(s.sim.state.images.get(flightImage)?.state).to.equal('available');
    expect(tasksOf(s, flightInstance.id).map((x) => x.id), 'no second task').to.deep.equal([flightTask]);
    await waitFor(async () => !condOf(await s.get('instancebundles', ready.metadata.name), 'CloudProfileReady'), { timeoutMs: 60_000, message: 'CloudProfileReady gone' });
    expect(s.sim.state.images.get(imageId)?.isPublic, 'the edit applied in the first cloud').to.equal(true);
    expect(condOf(await s.get('instancebundles', ready.metadata.name), 'Ready')?.status).to.equal('True');
    expect(touching(other, since, [...needles, flightImage]), 'still nothing in the other cloud').to.deep.equal([]);
    for (const m of [ready, inFlight]) await t.remove('instancebundles', m.metadata.name);
    for (const m of [ready, inFlight]) await s.waitGone('instancebundles', m.metadata.name, 60_000);
    for (const id of [imageId, flightImage]) expect(s.sim.state.images.get(id)?.state ?? 'deregistered').to.equal('deregistered');
    expect(bundleObjects(s, BUCKET, inFlight.metadata.name)).to.deep.equal([]);
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
