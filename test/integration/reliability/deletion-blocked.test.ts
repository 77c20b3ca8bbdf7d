// Deletion never deadlocks: a resource that made nothing in the cloud goes without a cloud call (also when its
// CloudProfile is not Ready, or gone); one whose cloud is needed but unavailable shows Deleting with the reason,
// an Event names what it waits to remove, and the abandon annotation releases it (listing what stays behind).
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ABANDON_ANNOTATION, API_VERSION } from '../../../src/api/constants.ts';
import type { ImageCapture, InstanceBundle } from '../../../src/api/types.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { BUNDLE_FIXTURES, bundleManifest, seed } from '../instancebundle/helpers.ts';

async function eventsOf(s: Scenario, name: string): Promise<CoreV1Event[]> {
  const core = s.env.kubeConfig.makeApiClient(CoreV1Api);
  return (await core.listNamespacedEvent({ namespace: s.namespace, fieldSelector: `involvedObject.name=${name}` })).items;
}

/** Every cloud call except the CloudProfile's own probes. */
function resourceCalls(s: Scenario): number {
  const by = s.sim.log.byAction();
  return Object.entries(by).filter(([a]) => !['DescribeAvailabilityZones', 'DescribeImages', 'ListBuckets'].includes(a)).reduce((n, [, v]) => n + v, 0);
}

/** Deletes a CloudProfile and forces it out (its in-use protection finalizer removed by hand): really gone. */
async function forceDeleteProfile(s: Scenario, name: string): Promise<void> {
  expect((await s.env.kubectl(['delete', '--wait=false', '-n', s.namespace, 'cloudprofiles', name])).code).to.equal(0);
  const r = await s.env.kubectl(['patch', '-n', s.namespace, 'cloudprofiles', name, '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
  expect(r.code, r.stderr).to.equal(0);
  await waitFor(async () => !(await s.get('cloudprofiles', name)), { timeoutMs: 15_000, message: 'profile gone' });
}

async function annotate(s: Scenario, plural: string, name: string): Promise<void> {
  const r = await s.env.kubectl(['annotate', '-n', s.namespace, plural, name, `${ABANDON_ANNOTATION}=true`]);
  expect(r.code, r.stderr).to.equal(0);
}

describe('reliability: deletion never deadlocks', function () {
  this.timeout(120_000);

  describe('eucalyptus-3.4', () => {
    let s: Scenario;
    before(async () => {
      s = await startScenario({ profile: 'eucalyptus-3.4' });
    });
    after(async () => s?.close());

    it('a capture whose CloudProfile never became Ready is deleted without any cloud call', async () => {
      // A second profile whose Secret does not exist: it never becomes Ready.
      await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
        input: JSON.stringify({ apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: 'never-ready' }, spec: { ec2Endpoint: s.sim.url, credentialsSecretRef: { name: 'missing' } } }),
      });
      await s.waitForCondition('cloudprofiles', 'never-ready', 'Stalled');
      const m = captureManifest(s, seedInstance(s).id, { cloudRef: { name: 'never-ready' } });
      await s.create('imagecaptures', m);
      await waitFor(async () => (await s.get<ImageCapture>('imagecaptures', m.metadata.name))?.metadata.finalizers?.length === 1, { timeoutMs: 20_000, message: 'finalizer' });
      await s.waitForCondition('imagecaptures', m.metadata.name, 'Reconciling');
      const before = resourceCalls(s);
      const t0 = Date.now();
      await s.remove('imagecaptures', m.metadata.name);
      await s.waitGone('imagecaptures', m.metadata.name, 15_000);
      console.log(`      deleted in ${Date.now() - t0} ms`);
      expect(resourceCalls(s)).to.equal(before);
      // Also when the profile is gone altogether.
      const m2 = captureManifest(s, seedInstance(s).id, { cloudRef: { name: 'never-ready' } });
      await s.create('imagecaptures', m2);
      await waitFor(async () => (await s.get<ImageCapture>('imagecaptures', m2.metadata.name))?.metadata.finalizers?.length === 1, { timeoutMs: 20_000, message: 'finalizer' });
      await forceDeleteProfile(s, 'never-ready');
      await s.remove('imagecaptures', m2.metadata.name);
      await s.waitGone('imagecaptures', m2.metadata.name, 15_000);
      expect(resourceCalls(s)).to.equal(before);
    });

    it('a Ready capture whose CloudProfile is gone shows Deleting, says what it waits for, and the abandon annotation releases it', async () => {
      await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
        input: JSON.stringify({ apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: 'doomed' }, spec: { ec2Endpoint: s.sim.url, region: 'eucalyptus', credentialsSecretRef: { name: `${s.cloudName}-credentials` } } }),
      });
      await s.waitForCondition('cloudprofiles', 'doomed', 'Ready');
      const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { cloudRef: { name: 'doomed' }, deletionPolicy: 'Delete', noReboot: true });
      await s.create('imagecaptures', m);
      const ready = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as unknown as ImageCapture;
      const imageId = ready.status!.imageId!;
      await forceDeleteProfile(s, 'doomed');
      await s.remove('imagecaptures', m.metadata.name);
      const blocked = await s.waitForCondition('imagecaptures', m.metadata.name, 'Reconciling', 'True', 20_000) as unknown as ImageCapture;
      await waitFor(async () => (await s.get<ImageCapture>('imagecaptures', m.metadata.name))?.status?.phase === 'Deleting', { timeoutMs: 15_000, message: 'phase Deleting' });
      const now = (await s.get<ImageCapture>('imagecaptures', m.metadata.name))!;
      const rec = now.status!.conditions!.find((c) => c.type === 'Reconciling')!;
      expect(rec.reason, JSON.stringify(blocked.status)).to.equal('CloudProfileNotFound');
      expect(rec.message).to.include(imageId).and.to.include(ABANDON_ANNOTATION);
      await waitFor(async () => (await eventsOf(s, m.metadata.name)).some((e) => e.reason === 'DeletionBlocked' && e.message!.includes(imageId)), { timeoutMs: 10_000, message: 'DeletionBlocked event' });
      await annotate(s, 'imagecaptures', m.metadata.name);
      await s.waitGone('imagecaptures', m.metadata.name, 15_000);
      const abandoned = (await eventsOf(s, m.metadata.name)).find((e) => e.reason === 'CloudObjectsAbandoned')!;
      expect(abandoned.type).to.equal('Warning');
      expect(abandoned.message).to.include(imageId);
      for (const snap of ready.status!.snapshots!) expect(abandoned.message).to.include(snap.snapshotId!);
      // Abandoned means left alone: the image is still registered.
      expect(s.sim.state.images.get(imageId)?.state).to.equal('available');
    });

    it('a Ready capture with Retain goes without a cloud call while the cloud is down', async () => {
      const m = captureManifest(s, seedInstance(s).id, { noReboot: true });
      await s.create('imagecaptures', m);
      const ready = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as unknown as ImageCapture;
      s.sim.faults.set({ drop: {} });
      const before = s.sim.log.count();
      try {
        const t0 = Date.now();
        await s.remove('imagecaptures', m.metadata.name);
        await s.waitGone('imagecaptures', m.metadata.name, 15_000);
        console.log(`      deleted in ${Date.now() - t0} ms`);
        expect(s.sim.log.count(), 'no request at all').to.equal(before);
      } finally {
        s.sim.faults.clear();
      }
      expect(s.sim.state.images.get(ready.status!.imageId!)?.state).to.equal('available');
      expect((await eventsOf(s, m.metadata.name)).find((e) => e.reason === 'Deleted')?.message).to.include('deletionPolicy Retain: kept').and.include(ready.status!.imageId!);
    });

    it('a cloud that refuses the cleanup: Deleting with the reason, retried, and done once the cloud answers', async () => {
      const m = captureManifest(s, seedInstance(s).id, { deletionPolicy: 'Delete', noReboot: true });
      await s.create('imagecaptures', m);
      const ready = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as unknown as ImageCapture;
      s.sim.faults.set({ serverError: { actions: ['DeregisterImage'] } });
      await s.remove('imagecaptures', m.metadata.name);
      await waitFor(async () => {
        const c = (await s.get<ImageCapture>('imagecaptures', m.metadata.name))?.status;
        return c?.phase === 'Deleting' && c.conditions?.find((x) => x.type === 'Reconciling')?.reason === 'CloudUnreachable';
      }, { timeoutMs: 20_000, message: 'Deleting, CloudUnreachable' });
      const cur = (await s.get<ImageCapture>('imagecaptures', m.metadata.name))!;
      expect(cur.status!.conditions!.find((x) => x.type === 'Reconciling')!.message).to.match(/removing the image, its snapshots/).and.to.include(ready.status!.imageId!);
      s.sim.faults.clear();
      await s.waitGone('imagecaptures', m.metadata.name, 60_000);
      expect(s.sim.state.images.get(ready.status!.imageId!)?.state ?? 'deregistered').to.equal('deregistered');
    });
  });

  describe('aws: a bundle the operator itself refused', () => {
    let s: Scenario;
    before(async () => {
      s = await startScenario({ profile: 'aws', fixtures: BUNDLE_FIXTURES });
    });
    after(async () => s?.close());

    it('is deleted without DescribeBundleTasks or any other cloud call', async () => {
      const inst = seed(s, { platform: 'linux' });
      const m = bundleManifest(s, inst.id, { deletionPolicy: 'Delete' });
      await s.create('instancebundles', m);
      await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled');
      const stalled = (await s.get<InstanceBundle>('instancebundles', m.metadata.name))!;
      expect(stalled.status!.conditions!.find((c) => c.type === 'Stalled')!.reason).to.equal('UnsupportedByCloud');
      const before = resourceCalls(s);
      await s.remove('instancebundles', m.metadata.name);
      await s.waitGone('instancebundles', m.metadata.name, 15_000);
      expect(s.sim.log.count('DescribeBundleTasks')).to.equal(0);
      expect(resourceCalls(s)).to.equal(before);
    });

    it('a stored bundle whose CloudProfile is gone shows Deleting with an Event; the abandon annotation releases it', async () => {
      await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
        input: JSON.stringify({ apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: 'doomed' }, spec: { ec2Endpoint: s.sim.url, s3Endpoint: s.sim.s3Url, region: 'eucalyptus', credentialsSecretRef: { name: `${s.cloudName}-credentials` } } }),
      });
      await s.waitForCondition('cloudprofiles', 'doomed', 'Ready');
      const inst = seed(s, { platform: 'windows' });
      const m = bundleManifest(s, inst.id, { cloudRef: { name: 'doomed' }, deletionPolicy: 'Delete' });
      await s.create('instancebundles', m);
      const ready = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready') as unknown as InstanceBundle;
      await forceDeleteProfile(s, 'doomed');
      await s.remove('instancebundles', m.metadata.name);
      await waitFor(async () => {
        const b = (await s.get<InstanceBundle>('instancebundles', m.metadata.name))?.status;
        return b?.phase === 'Deleting' && b.conditions?.find((c) => c.type === 'Reconciling')?.reason === 'CloudProfileNotFound';
      }, { timeoutMs: 20_000, message: 'Deleting, CloudProfileNotFound' });
      await waitFor(async () => (await eventsOf(s, m.metadata.name)).some((e) => e.reason === 'DeletionBlocked' && e.message!.includes(ready.status!.bundleId!)), { timeoutMs: 10_000, message: 'DeletionBlocked event' });
      await annotate(s, 'instancebundles', m.metadata.name);
      await s.waitGone('instancebundles', m.metadata.name, 15_000);
      const abandoned = (await eventsOf(s, m.metadata.name)).find((e) => e.reason === 'CloudObjectsAbandoned')!;
      expect(abandoned.message).to.include(ready.status!.bundleId!).and.to.include(m.spec.storage.prefix);
    });
  });
});
