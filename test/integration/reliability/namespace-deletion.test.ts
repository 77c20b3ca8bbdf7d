// Everything of a namespace deleted at once (Secret, CloudProfile, captures with Retain and with Delete), as
// `kubectl delete namespace` does: the CloudProfile's in-use protection keeps it (Terminating, condition InUse)
// until its captures are gone and lends them the credentials last read, so Retain captures go without a cloud call
// and Delete captures clean up. After an operator restart those credentials are gone: the Delete captures then
// show the blocked deletion with its reason, and the abandon annotation releases them.
import { expect } from 'chai';
import { ABANDON_ANNOTATION } from '../../../src/api/constants.ts';
import type { ImageCapture } from '../../../src/api/types.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker, type TrackedResource } from './invariants.ts';
import { condOf, eventsOf } from './helpers.ts';

/** Requests after `since` naming any of these ids or owner prefixes. */
function touching(s: Scenario, since: number, needles: string[]): string[] {
  return s.sim.log.entries().filter((e) => e.time.getTime() >= since && Object.values(e.params).some((v) => needles.some((n) => v.includes(n)))).map((e) => e.action);
}

async function readyCaptures(s: Scenario, t: ResourceTracker, prefix: string): Promise<{ retain: ImageCapture[]; del: ImageCapture[] }> {
  const specs = [
    { name: `${prefix}-retain-1`, spec: { noReboot: true } },
    { name: `${prefix}-retain-2`, spec: { strategy: 'Orchestrated', noReboot: true, deletionPolicy: 'Retain' } },
    { name: `${prefix}-delete-1`, spec: { noReboot: true, deletionPolicy: 'Delete' } },
    { name: `${prefix}-delete-2`, spec: { strategy: 'Orchestrated', noReboot: true, deletionPolicy: 'Delete' }, volumes: 1 },
  ];
  for (const c of specs) await t.create('imagecaptures', captureManifest(s, seedInstance(s, { attachedVolumes: c.volumes ?? 0 }).id, c.spec, c.name));
  const ready: ImageCapture[] = [];
  for (const c of specs) ready.push(await s.waitForCondition('imagecaptures', c.name, 'Ready', 'True', 60_000) as unknown as ImageCapture);
  return { retain: ready.slice(0, 2), del: ready.slice(2) };
}

async function deleteEverything(s: Scenario, t: ResourceTracker): Promise<void> {
  // One command, Secret and CloudProfile first, as a namespace deletion takes them all at once.
  const r = await s.env.kubectl(['delete', '-n', s.namespace, '--wait=false', `secret/${s.cloudName}-credentials`, `cloudprofile/${s.cloudName}`, ...t.resources.map((x) => `imagecapture/${x.name}`)]);
  expect(r.code, r.stderr).to.equal(0);
  for (const x of t.resources) (x as TrackedResource).deleted = true;
}

describe('reliability: a whole namespace deleted at once', function () {
  this.timeout(180_000);

  it('Retain captures go without a cloud call, Delete captures clean up, then the CloudProfile goes', async () => {
    const s = await startScenario({ profile: 'eucalyptus-3.4' });
    try {
      const baseline = cloudBaseline(s);
      const t = new ResourceTracker(s);
      const { retain, del } = await readyCaptures(s, t, 'ns');
      // Past the operator's 15 s Secret cache: the deletions read the Secret again, find it gone, and use what the
      // deleted profile last read.
      await new Promise((r) => setTimeout(r, 16_000));
      const since = Date.now();
      const t0 = Date.now();
      await deleteEverything(s, t);
      for (const c of retain) await s.waitGone('imagecaptures', c.metadata.name!, 15_000);
      const retainMs = Date.now() - t0;
      for (const c of del) await s.waitGone('imagecaptures', c.metadata.name!, 60_000);
      const deleteMs = Date.now() - t0;
      await waitFor(async () => !(await s.get('cloudprofiles', s.cloudName)), { timeoutMs: 30_000, message: 'CloudProfile released once unused' });
      console.log(`      Retain gone in ${retainMs} ms, Delete gone in ${deleteMs} ms, CloudProfile gone in ${Date.now() - t0} ms`);
      expect(touching(s, since, retain.flatMap((c) => [c.status!.imageId!, `${s.namespace}/${c.metadata.name!}/`])), 'no cloud call for the Retain captures').to.deep.equal([]);
      for (const c of retain) expect(s.sim.state.images.get(c.status!.imageId!)?.state).to.equal('available');
      for (const c of del) expect(s.sim.state.images.get(c.status!.imageId!)?.state ?? 'deregistered', 'Delete carried out with the credentials last read').to.equal('deregistered');
      await checkInvariants(s, { resources: t.resources, baseline });
    } finally {
      await s.close();
    }
  });

  it('after an operator restart the credentials are gone: Delete captures say why they wait, the annotation releases them', async () => {
    const s = await startScenario({ profile: 'eucalyptus-3.4' });
    try {
      const baseline = cloudBaseline(s);
      const t = new ResourceTracker(s);
      const { retain, del } = await readyCaptures(s, t, 'nsr');
      await s.operator!.stop();
      await deleteEverything(s, t);
      const since = Date.now();
      const op = await s.startOperator();
      s.operator = op;
      for (const c of retain) await s.waitGone('imagecaptures', c.metadata.name!, 15_000);
      for (const c of del) {
        await waitFor(async () => condOf(await s.get('imagecaptures', c.metadata.name!), 'Reconciling')?.reason === 'CredentialsSecretNotFound', { timeoutMs: 30_000, message: `${c.metadata.name} blocked CredentialsSecretNotFound` });
        const blocked = (await s.get<ImageCapture>('imagecaptures', c.metadata.name!))!;
        expect(blocked.status!.phase).to.equal('Deleting');
        expect(condOf(blocked, 'Reconciling')!.message).to.include(c.status!.imageId!).and.include(ABANDON_ANNOTATION);
      }
      const profile = await s.get('cloudprofiles', s.cloudName);
      expect(profile?.metadata?.deletionTimestamp, 'the profile waits for its users').to.not.equal(undefined);
      await waitFor(async () => condOf(await s.get('cloudprofiles', s.cloudName), 'InUse')?.message?.includes(del[0]!.metadata.name!) === true, { timeoutMs: 15_000, message: 'profile InUse naming its users' });
      expect((await eventsOf(s, del[0]!.metadata.name!)).some((e) => e.reason === 'DeletionBlocked')).to.equal(true);
      expect(touching(s, since, retain.flatMap((c) => [c.status!.imageId!, `${s.namespace}/${c.metadata.name!}/`]))).to.deep.equal([]);
      for (const c of del) {
        const r = await s.env.kubectl(['annotate', '-n', s.namespace, 'imagecaptures', c.metadata.name!, `${ABANDON_ANNOTATION}=true`]);
        expect(r.code, r.stderr).to.equal(0);
      }
      for (const c of del) await s.waitGone('imagecaptures', c.metadata.name!, 15_000);
      await waitFor(async () => !(await s.get('cloudprofiles', s.cloudName)), { timeoutMs: 30_000, message: 'CloudProfile released once unused' });
      // Abandoned: left in the cloud, owner-tagged; the checker counts them as kept by a deleted resource.
      for (const c of del) expect(s.sim.state.images.get(c.status!.imageId!)?.state).to.equal('available');
      for (const c of del) {
        const x = t.resources.find((r) => r.name === c.metadata.name!)!;
        x.spec = { ...x.spec, deletionPolicy: 'Retain' };
      }
      await checkInvariants(s, { resources: t.resources, baseline });
    } finally {
      await s.close();
    }
  });
});
