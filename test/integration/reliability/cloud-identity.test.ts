// A CloudProfile pointed at another cloud (endpoint) or another account (credentials) after its resources made
// objects: those objects are not looked up, changed or deleted in the new cloud. A Ready capture stays Ready and
// says why it cannot check its image (CloudChanged), one in flight stalls CloudChanged, a Delete deletion waits
// with the reason, a Retain deletion goes without a cloud call; pointing the profile back resumes everything.
// A rotated key of the same account is the same cloud.
import { join } from 'node:path';
import { expect } from 'chai';
import { ABANDON_ANNOTATION } from '../../../src/api/constants.ts';
import type { ImageCapture } from '../../../src/api/types.ts';
import { startEucasim, type Eucasim } from '../../../sim/server.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { condOf, eventsOf, snapshotsInCloud } from './helpers.ts';
import { applyProfile, applySecret, PROFILE, profileGeneration, touching } from './repoint.ts';

const root = join(import.meta.dirname, '../../..');

describe('reliability: a repointed CloudProfile is another cloud for objects already made', function () {
  this.timeout(240_000);
  let s: Scenario;
  let other: Eucasim;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: { verifyAvailableEveryMs: 500 } });
    other = await startEucasim({ port: 0, profile: 'eucalyptus-3.4', fixtures: join(root, 'sim/fixtures/demo.yaml'), latency: 'zero' });
  });
  after(async () => {
    await s?.close();
    await other?.close();
  });

  it('another endpoint: nothing made in the first cloud is touched in the second; pointing back resumes', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    await applyProfile(s, s.sim, `${s.cloudName}-credentials`);
    await profileGeneration(s);
    const ready = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { cloudRef: { name: PROFILE }, noReboot: true, deletionPolicy: 'Delete' }, 'moved-ready');
    const kept = captureManifest(s, seedInstance(s).id, { cloudRef: { name: PROFILE }, noReboot: true }, 'moved-retain');
    await t.create('imagecaptures', ready);
    await t.create('imagecaptures', kept);
    const done = await s.waitForCondition('imagecaptures', ready.metadata.name, 'Ready') as unknown as ImageCapture;
    await s.waitForCondition('imagecaptures', kept.metadata.name, 'Ready');
    const recorded = done.status!.cloud!;
    expect(recorded.endpoint).to.equal(s.sim.url.replace(/\/+$/, ''));
    expect(recorded.accountId).to.equal('000100020003');
    expect(recorded.credentials).to.match(/^sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(done.status)).not.to.include('AKIDEMOEUCALYPTUS000');
    const imageId = done.status!.imageId!;
    // Long enough to repoint the profile while they run, short enough to finish once it points back.
    s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 10_000 };
    const inFlight = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { cloudRef: { name: PROFILE }, strategy: 'Orchestrated', noReboot: true, deletionPolicy: 'Delete' }, 'moved-in-flight');
    await t.create('imagecaptures', inFlight);
    // Status records the snapshot ids once they complete: that they started is read from the cloud.
    await waitFor(async () => snapshotsInCloud(s, inFlight.metadata.name, 2), { timeoutMs: 30_000, message: 'snapshots started' });

    const since = Date.now();
    s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 0 };
    await applyProfile(s, other, `${s.cloudName}-credentials`);
    await profileGeneration(s);
    const flight = await s.waitForCondition('imagecaptures', inFlight.metadata.name, 'Stalled', 'True', 60_000);
    expect(condOf(flight, 'Stalled')?.reason).to.equal('CloudChanged');
    expect(condOf(flight, 'Stalled')?.message).to.include(s.sim.url.replace(/\/+$/, '')).and.include(other.url.replace(/\/+$/, '')).and.include(ABANDON_ANNOTATION);
    // The Ready capture stays Ready and says what it cannot do; it never claims its image was deregistered.
    await waitFor(async () => condOf(await s.get('imagecaptures', ready.metadata.name), 'CloudProfileReady')?.reason === 'CloudChanged', { timeoutMs: 30_000, message: 'CloudProfileReady=False CloudChanged' });
    await new Promise((r) => setTimeout(r, 2_000)); // several verifyAvailable periods
    const still = (await s.get<ImageCapture>('imagecaptures', ready.metadata.name))!;
    expect(condOf(still, 'Ready')?.status).to.equal('True');
    expect(condOf(still, 'Stalled')?.status).to.equal('False');
    expect(still.status!.phase).to.equal('Available');
    // Retain: released at once without the cloud. Delete: waits, saying why and what the way out is.
    await t.remove('imagecaptures', kept.metadata.name);
    await s.waitGone('imagecaptures', kept.metadata.name, 15_000);
    await t.remove('imagecaptures', ready.metadata.name);
    await waitFor(async () => condOf(await s.get('imagecaptures', ready.metadata.name), 'Reconciling')?.reason === 'CloudChanged', { timeoutMs: 20_000, message: 'deletion blocked CloudChanged' });
    const blocked = (await s.get<ImageCapture>('imagecaptures', ready.metadata.name))!;
    expect(blocked.status!.phase).to.equal('Deleting');
    expect(condOf(blocked, 'Reconciling')?.message).to.include(imageId).and.include(ABANDON_ANNOTATION);
    expect((await eventsOf(s, ready.metadata.name)).some((e) => e.reason === 'DeletionBlocked' && /CloudChanged|created in/.test(e.message ?? ''))).to.equal(true);
    const owners = [`${s.namespace}/moved-`, imageId, ...done.status!.snapshots!.map((x) => x.snapshotId!)];
    expect(touching(other, since, owners), 'nothing of ours looked up, changed or deleted in the other cloud').to.deep.equal([]);
    expect(s.sim.state.images.get(imageId)?.state, 'the image is still there').to.equal('available');

    // Back to the first cloud: the in-flight capture goes on, the deletion finishes there.
    await applyProfile(s, s.sim, `${s.cloudName}-credentials`);
    await profileGeneration(s);
    await s.waitGone('imagecaptures', ready.metadata.name, 60_000);
    expect(s.sim.state.images.get(imageId)?.state ?? 'deregistered').to.equal('deregistered');
    await s.waitForCondition('imagecaptures', inFlight.metadata.name, 'Ready', 'True', 60_000);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('another account at the same endpoint is another cloud; a rotated key of the same account is not', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    await applySecret(s, 'movable-key', { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'demo-secret-key-please-change' });
    await applyProfile(s, s.sim, 'movable-key');
    await profileGeneration(s);
    const m = captureManifest(s, seedInstance(s).id, { cloudRef: { name: PROFILE }, noReboot: true, deletionPolicy: 'Delete' }, 'account-moved');
    await t.create('imagecaptures', m);
    const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as unknown as ImageCapture;
    const imageId = done.status!.imageId!;
    // Another account's key: CloudChanged naming both accounts.
    await applySecret(s, 'movable-key', { accessKeyId: 'AKIDOTHEREUCALYPTUS0', secretAccessKey: 'other-secret-key-please-change' });
    await waitFor(async () => condOf(await s.get('imagecaptures', m.metadata.name), 'CloudProfileReady')?.reason === 'CloudChanged', { timeoutMs: 60_000, message: 'CloudChanged after the key of another account' });
    const changed = (await s.get<ImageCapture>('imagecaptures', m.metadata.name))!;
    expect(condOf(changed, 'CloudProfileReady')?.message).to.include('account 000100020003').and.include('account 000900080007');
    expect(condOf(changed, 'Ready')?.status).to.equal('True');
    // A new key of the first account (rotation): the same cloud again, the condition goes, the key hash follows.
    const account = s.sim.state.accountsByKey.get('AKIDEMOEUCALYPTUS000')!;
    s.sim.state.accountsByKey.set('AKIROTATEDEUCALYPT02', { ...account, accessKeyId: 'AKIROTATEDEUCALYPT02', secretAccessKey: 'rotated-secret-key-2' });
    await applySecret(s, 'movable-key', { accessKeyId: 'AKIROTATEDEUCALYPT02', secretAccessKey: 'rotated-secret-key-2' });
    await waitFor(async () => !condOf(await s.get('imagecaptures', m.metadata.name), 'CloudProfileReady'), { timeoutMs: 60_000, message: 'CloudProfileReady condition gone after rotation' });
    const rotated = (await s.get<ImageCapture>('imagecaptures', m.metadata.name))!;
    expect(rotated.status!.cloud!.credentials).not.to.equal(done.status!.cloud!.credentials);
    expect(rotated.status!.cloud!.accountId).to.equal('000100020003');
    await t.remove('imagecaptures', m.metadata.name);
    await s.waitGone('imagecaptures', m.metadata.name, 30_000);
    expect(s.sim.state.images.get(imageId)?.state ?? 'deregistered').to.equal('deregistered');
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
