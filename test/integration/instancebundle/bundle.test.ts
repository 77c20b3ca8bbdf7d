// InstanceBundle on Eucalyptus 3.4, 4.0 and 4.4, each with its S3 dialect: Linux, Windows and EBS-backed instances bundle into S3 (and register),
// a missing bucket stalls or is created on request, and an expired upload policy fails the task visibly.
import { expect } from 'chai';
import type { InstanceBundleStatus } from '../../../src/api/types.ts';
import { DIALECT_PROFILES, startScenario, type Scenario } from '../support/scenario.ts';
import { BUNDLE_FIXTURES, bundleManifest, bundleObjects, callsSince, condition, liveOwned, seed, tasksOf } from './helpers.ts';

type WithStatus = { status?: InstanceBundleStatus };

for (const profile of [...DIALECT_PROFILES, 'eucalyptus-4.4' as const]) describe(`InstanceBundle (${profile})`, function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile, fixtures: BUNDLE_FIXTURES });
  });
  after(async () => s?.close());

  it('the CloudProfile shows the S3 signature this object storage accepts', async () => {
    const profileObj = await s.get('cloudprofiles', s.cloudName) as { status?: { capabilities?: { s3Signature?: string } } };
    expect(profileObj?.status?.capabilities?.s3Signature).to.equal(profile === 'eucalyptus-4.4' ? 'v4' : 'v2');
  });

  it('bundles a Linux instance-store instance and registers the bundle', async () => {
    const inst = seed(s, { platform: 'linux' });
    const m = bundleManifest(s, inst.id, { register: { name: `linux-${Date.now()}`, description: 'bundled' } });
    const before = s.sim.log.byAction();
    const since = new Date();
    await s.create('instancebundles', m);
    const done = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready') as WithStatus;
    const st = done.status!;
    console.log(`      calls (${profile} Linux bundle + register): ${JSON.stringify(callsSince(s, before))}`);
    const log = s.sim.log.entries().filter((e) => e.time >= since);
    const beforeStart = log.slice(0, log.findIndex((e) => e.action === 'BundleInstance'));
    expect(beforeStart.filter((e) => e.action === 'DescribeBundleTasks'), 'one look for a task to adopt or one writing to the same storage').to.have.length(1);
    expect(st.phase).to.equal('Available');
    expect(st.state).to.equal('complete');
    expect(st.progress).to.equal(100);
    expect(st.bundleId).to.match(/^bun-/);
    expect(st.manifestLocation).to.equal(`bundles/${m.metadata.name}.manifest.xml`);
    expect(condition(done, 'BundleStored')?.status).to.equal('True');
    expect(condition(done, 'ImageRegistered')?.status).to.equal('True');
    const image = s.sim.state.images.get(st.imageId!)!;
    expect(image.state).to.equal('available');
    expect(image.rootDeviceType).to.equal('instance-store');
    expect(image.imageLocation).to.equal(st.manifestLocation);
    expect(liveOwned(s, m.metadata.name).images.map((i) => i.id)).to.deep.equal([st.imageId]);
    expect(bundleObjects(s, 'bundles', m.metadata.name)).to.include(`${m.metadata.name}.manifest.xml`).and.to.include(`${m.metadata.name}.part.0`);
    expect(tasksOf(s, inst.id)).to.have.length(1);
  });

  it('bundles a Windows instance-store instance without registering', async () => {
    const inst = seed(s, { platform: 'windows' });
    const m = bundleManifest(s, inst.id);
    const before = s.sim.log.byAction();
    await s.create('instancebundles', m);
    const done = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready') as WithStatus;
    console.log(`      calls (${profile} Windows bundle): ${JSON.stringify(callsSince(s, before))}`);
    expect(done.status!.imageId).to.equal(undefined);
    expect(done.status!.manifestLocation).to.equal(`bundles/${m.metadata.name}.manifest.xml`);
    expect(condition(done, 'ImageRegistered')).to.equal(undefined);
  });

  it('bundles the root volume of an EBS-backed instance into a bundle-backed image', async () => {
    const inst = seed(s, { rootDeviceType: 'ebs' });
    const m = bundleManifest(s, inst.id, { register: { name: `ebs-bundle-${Date.now()}` } });
    await s.create('instancebundles', m);
    const done = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready') as WithStatus;
    const image = s.sim.state.images.get(done.status!.imageId!)!;
    expect(image.rootDeviceType).to.equal('instance-store');
    expect(image.imageLocation).to.equal(done.status!.manifestLocation);
  });

  it('stalls with BucketNotFound when the bucket is missing and createBucket is false', async () => {
    const inst = seed(s);
    const m = bundleManifest(s, inst.id, { storage: { bucket: 'no-such-bucket', prefix: 'p-missing' } });
    await s.create('instancebundles', m);
    const stalled = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled');
    expect(condition(stalled, 'Stalled')?.reason).to.equal('BucketNotFound');
    expect(condition(stalled, 'Stalled')?.message).to.match(/no-such-bucket does not exist.*createBucket/);
    expect(tasksOf(s, inst.id)).to.have.length(0);
  });

  it('creates the bucket when createBucket is true', async () => {
    const inst = seed(s);
    const bucket = `made-${Date.now()}`;
    const m = bundleManifest(s, inst.id, { storage: { bucket, prefix: 'p-made', createBucket: true } });
    await s.create('instancebundles', m);
    await s.waitForCondition('instancebundles', m.metadata.name, 'Ready');
    expect(bundleObjects(s, bucket, 'p-made')).to.include('p-made.manifest.xml');
  });

  it('an upload policy that expires before the task stores fails the task, and status says so', async () => {
    s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 300 };
    try {
      const inst = seed(s);
      const m = bundleManifest(s, inst.id, { uploadPolicyTTL: '1ms' });
      await s.create('instancebundles', m);
      const stalled = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled') as WithStatus;
      expect(condition(stalled, 'Stalled')?.reason).to.equal('BundleFailed');
      expect(stalled.status!.state).to.equal('failed');
      expect(stalled.status!.phase).to.equal('Failed');
      // Eucalyptus 3.4's bundle task has no error element: the message says the cloud gave no detail.
      expect(condition(stalled, 'Stalled')?.message).to.match(/failed: the cloud gave no error detail/);
      expect(s.sim.state.events.some((e) => e.type === 'bundle-failed' && e.id === stalled.status!.bundleId && /expired/.test(e.detail ?? ''))).to.equal(true);
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 0 };
    }
  });
});
