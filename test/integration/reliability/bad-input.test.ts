// Bad input that the API server cannot refuse: clashing names and storage, missing or broken Secrets, and a
// cloudRef that names a CloudProfile of another namespace. Each ends in a stable reason, and the neighbours of
// the bad resource are unaffected.
import { expect } from 'chai';
import { API_VERSION } from '../../../src/api/constants.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker, type CloudBaseline } from './invariants.ts';
import { condOf, waitSettled, type WithStatus } from './helpers.ts';


async function applyProfile(s: Scenario, namespace: string, name: string, secretName: string, secretData?: Record<string, string>): Promise<void> {
  const items: unknown[] = [{
    apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name },
    spec: { ec2Endpoint: s.sim.url, s3Endpoint: s.sim.s3Url, region: 'eucalyptus', credentialsSecretRef: { name: secretName } },
  }];
  if (secretData) items.unshift({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName }, stringData: secretData });
  const r = await s.env.kubectl(['apply', '-n', namespace, '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
  if (r.code !== 0) throw new Error(r.stderr);
}

describe('reliability: bad input', function () {
  this.timeout(180_000);
  let s: Scenario;
  let t: ResourceTracker;
  let baseline: CloudBaseline;
  let otherNamespace: string;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false });
    otherNamespace = await s.env.newNamespace('eio-b');
    await s.startOperator({ watchNamespaces: [s.namespace, otherNamespace] });
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 30_000);
    baseline = cloudBaseline(s);
    t = new ResourceTracker(s);
  });
  after(async () => s?.close());

  it('two captures created together with the same image name: one image, the other Stalled DuplicateImageName', async () => {
    const name = `same-name-${Date.now()}`;
    const a = captureManifest(s, seedInstance(s).id, { image: { name } }, 'dup-a');
    const b = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true, image: { name } }, 'dup-b');
    await Promise.all([t.create('imagecaptures', a), t.create('imagecaptures', b)]);
    await waitSettled(s, t.resources, 60_000);
    const [ra, rb] = [await s.get<WithStatus>('imagecaptures', 'dup-a'), await s.get<WithStatus>('imagecaptures', 'dup-b')];
    const ready = [ra, rb].filter((x) => condOf(x, 'Ready')?.status === 'True');
    const stalled = [ra, rb].filter((x) => condOf(x, 'Stalled')?.status === 'True');
    expect(ready, 'exactly one capture owns the name').to.have.length(1);
    expect(stalled).to.have.length(1);
    expect(condOf(stalled[0], 'Stalled')?.reason).to.equal('DuplicateImageName');
    const images = [...s.sim.state.images.values()].filter((i) => i.name === name && i.state !== 'deregistered');
    expect(images, 'one image with that name').to.have.length(1);
    expect(ready[0]!.status?.imageId).to.equal(images[0]!.id);
    expect(stalled[0]!.status?.imageId, 'the loser does not claim the winner\'s image').to.equal(undefined);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('two bundles into the same bucket and prefix: the second is Stalled StorageInUse, the first completes untouched', async () => {
    const [i1, i2] = s.sim.state.seedInstances({ count: 2, rootDeviceType: 'instance-store' });
    const storage = { bucket: 'demo-bundles', prefix: `shared-${Date.now()}` };
    const first = { metadata: { name: 'bun-first' }, spec: { cloudRef: { name: s.cloudName }, instanceId: i1!.id, storage } };
    await t.create('instancebundles', first);
    await s.waitForCondition('instancebundles', 'bun-first', 'Ready');
    const manifest = s.sim.state.s3.get(storage.bucket, `${storage.prefix}.manifest.xml`)!.etag;
    const second = { metadata: { name: 'bun-second' }, spec: { cloudRef: { name: s.cloudName }, instanceId: i2!.id, storage, deletionPolicy: 'Delete' } };
    await t.create('instancebundles', second);
    const st = await s.waitForCondition('instancebundles', 'bun-second', 'Stalled');
    expect(condOf(st, 'Stalled')?.reason).to.equal('StorageInUse');
    expect(condOf(st, 'Stalled')?.message).to.include(storage.prefix);
    expect([...s.sim.state.bundleTasks.values()].filter((x) => x.instanceId === i2!.id), 'no task for the second').to.have.length(0);
    expect(s.sim.state.s3.get(storage.bucket, `${storage.prefix}.manifest.xml`)!.etag, 'first bundle untouched').to.equal(manifest);
    // Deleting the refused one (policy Delete) must not take the first one's objects with it.
    await t.remove('instancebundles', 'bun-second');
    await s.waitGone('instancebundles', 'bun-second');
    expect(s.sim.state.s3.get(storage.bucket, `${storage.prefix}.manifest.xml`)?.etag, 'first bundle still there').to.equal(manifest);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('a CloudProfile whose Secret is missing, or lacks a key: the profile is Stalled with the reason, its captures wait', async () => {
    await applyProfile(s, s.namespace, 'no-secret', 'absent-secret');
    await applyProfile(s, s.namespace, 'half-secret', 'half-secret-creds', { accessKeyId: 'AKIDEMOEUCALYPTUS000' });
    const p1 = await s.waitForCondition('cloudprofiles', 'no-secret', 'Stalled');
    expect(condOf(p1, 'Stalled')?.reason).to.equal('CredentialsSecretNotFound');
    const p2 = await s.waitForCondition('cloudprofiles', 'half-secret', 'Stalled');
    expect(condOf(p2, 'Stalled')?.reason).to.equal('CredentialsSecretInvalid');
    expect(condOf(p2, 'Stalled')?.message).to.include('secretAccessKey');
    const m = captureManifest(s, seedInstance(s).id, { cloudRef: { name: 'half-secret' } }, 'waits-for-secret');
    m.spec.cloudRef = { name: 'half-secret' };
    await t.create('imagecaptures', m);
    const waiting = await s.waitForCondition('imagecaptures', m.metadata.name, 'Reconciling');
    expect(condOf(waiting, 'Reconciling')?.reason).to.equal('WaitingForCloud');
    expect(condOf(waiting, 'Reconciling')?.message).to.include('CredentialsSecretInvalid');
    // Fixing the Secret lets it finish.
    await applyProfile(s, s.namespace, 'half-secret', 'half-secret-creds', { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'demo-secret-key-please-change' });
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 90_000);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('a capture cannot use a CloudProfile of another namespace: CloudProfileNotFound', async () => {
    await applyProfile(s, otherNamespace, 'only-in-b', 'b-creds', { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'demo-secret-key-please-change' });
    // The profile works in its own namespace, so the refusal below is about the namespace alone.
    await waitFor(async () => (await s.env.kubectl(['get', 'cloudprofile', 'only-in-b', '-n', otherNamespace, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True', { timeoutMs: 30_000, message: 'profile in the other namespace Ready' });
    const m = captureManifest(s, seedInstance(s).id, {}, 'cross-ns');
    m.spec.cloudRef = { name: 'only-in-b' };
    const creates = s.sim.log.count('CreateImage');
    await t.create('imagecaptures', m);
    const st = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled');
    expect(condOf(st, 'Stalled')?.reason).to.equal('CloudProfileNotFound');
    expect(condOf(st, 'Stalled')?.message).to.include(s.namespace);
    expect(s.sim.log.count('CreateImage')).to.equal(creates);
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
