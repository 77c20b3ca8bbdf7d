// Bundle task dialects and capability refusals: Eucalyptus 3.3 and EC2 bundle only Windows instances (a Linux
// one is refused with the missing capability named); EC2's task states (waiting-for-shutdown, bundling, "N%")
// and error element are normalized like Eucalyptus's (storing, "N", no error element).
import { expect } from 'chai';
import type { InstanceBundleStatus } from '../../../src/api/types.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { BUNDLE_FIXTURES, bundleManifest, callsSince, condition, seed, tasksOf, waitForStatus } from './helpers.ts';

type WithStatus = { status?: InstanceBundleStatus };

/** Polls status.state while the bundle runs and returns every state seen. */
async function statesSeen(s: Scenario, name: string): Promise<Set<string>> {
  const seen = new Set<string>();
  await waitForStatus(s, 'instancebundles', name, (st) => {
    if (typeof st['state'] === 'string') seen.add(st['state']);
    return st['phase'] === 'Available' || st['phase'] === 'Failed';
  });
  return seen;
}

describe('InstanceBundle dialects', function () {
  this.timeout(120_000);

  describe('eucalyptus-3.3', () => {
    let s: Scenario;
    before(async () => {
      s = await startScenario({ profile: 'eucalyptus-3.3', fixtures: BUNDLE_FIXTURES });
    });
    after(async () => s?.close());

    it('refuses a Linux instance with UnsupportedByCloud naming what the cloud lacks', async () => {
      const inst = seed(s, { platform: 'linux' });
      const m = bundleManifest(s, inst.id, { storage: { bucket: 'windows-bundles', prefix: 'windows-linux' } });
      await s.create('instancebundles', m);
      const stalled = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled');
      expect(condition(stalled, 'Stalled')?.reason).to.equal('UnsupportedByCloud');
      expect(condition(stalled, 'Stalled')?.message).to.match(/Linux instance.*only Windows.*bundleLinux is false/);
      expect(tasksOf(s, inst.id)).to.have.length(0);
    });

    it('bundles a Windows instance under a windows prefix', async () => {
      const inst = seed(s, { platform: 'windows' });
      const m = bundleManifest(s, inst.id, { storage: { bucket: 'windows-bundles', prefix: 'windows-ok' } });
      await s.create('instancebundles', m);
      await s.waitForCondition('instancebundles', m.metadata.name, 'Ready');
    });
  });

  // The task states the operator reads are followed in status: every status change is written (--status-refresh 0).
  describe('eucalyptus-3.4 task states', () => {
    let s: Scenario;
    before(async () => {
      s = await startScenario({ profile: 'eucalyptus-3.4', fixtures: BUNDLE_FIXTURES, operator: { statusRefreshMs: 0 }, sim: { latency: { bundleStepMs: 400 } } });
    });
    after(async () => s?.close());

    it('follows pending → storing → complete', async () => {
      const inst = seed(s, { platform: 'linux' });
      const m = bundleManifest(s, inst.id);
      await s.create('instancebundles', m);
      const seen = await statesSeen(s, m.metadata.name);
      expect([...seen]).to.include('storing').and.to.include('complete');
      expect([...seen]).not.to.include('bundling');
    });
  });

  describe('aws', () => {
    let s: Scenario;
    before(async () => {
      s = await startScenario({ profile: 'aws', fixtures: BUNDLE_FIXTURES, operator: { statusRefreshMs: 0 }, sim: { latency: { bundleStepMs: 300 } } });
    });
    after(async () => s?.close());

    it('bundles and registers a Windows instance through the EC2 states', async () => {
      const inst = seed(s, { platform: 'windows' });
      const m = bundleManifest(s, inst.id, { register: { name: `win-${Date.now()}` } });
      // The cloud derives the Windows platform of a bundle image from a prefix starting with "windows".
      m.spec.storage = { bucket: 'bundles', prefix: `windows-${m.metadata.name}` };
      const before = s.sim.log.byAction();
      await s.create('instancebundles', m);
      const seen = await statesSeen(s, m.metadata.name);
      console.log(`      calls (aws Windows bundle + register): ${JSON.stringify(callsSince(s, before))}`);
      expect([...seen]).to.include('bundling').and.to.include('complete');
      const done = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready') as WithStatus;
      expect(done.status!.imageId).to.match(/^ami-/);
      expect(s.sim.state.images.get(done.status!.imageId!)!.platform).to.equal('windows');
    });

    it('cancels a task that is bundling when deleted (EC2 reports the cancelled task as failed)', async () => {
      s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 2_000 };
      try {
        const inst = seed(s, { platform: 'windows' });
        const m = bundleManifest(s, inst.id);
        await s.create('instancebundles', m);
        await waitForStatus(s, 'instancebundles', m.metadata.name, (st) => st['state'] === 'bundling');
        const before = s.sim.log.byAction();
        await s.remove('instancebundles', m.metadata.name);
        await s.waitGone('instancebundles', m.metadata.name);
        console.log(`      calls (aws delete while bundling): ${JSON.stringify(callsSince(s, before))}`);
        expect(tasksOf(s, inst.id)[0]!.phase).to.equal('cancelled');
      } finally {
        s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 300 };
      }
    });

    it('refuses a Linux instance (EC2 bundles only Windows)', async () => {
      const inst = seed(s, { platform: 'linux' });
      const m = bundleManifest(s, inst.id);
      await s.create('instancebundles', m);
      const stalled = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled');
      expect(condition(stalled, 'Stalled')?.reason).to.equal('UnsupportedByCloud');
      expect(condition(stalled, 'Stalled')?.message).to.match(/bundleLinux/);
    });

    it('an expired upload policy fails the task with EC2\'s error code and message in status', async () => {
      const inst = seed(s, { platform: 'windows' });
      const m = bundleManifest(s, inst.id, { uploadPolicyTTL: '1ms' });
      await s.create('instancebundles', m);
      const stalled = await s.waitForCondition('instancebundles', m.metadata.name, 'Stalled') as WithStatus;
      expect(condition(stalled, 'Stalled')?.reason).to.equal('BundleFailed');
      expect(condition(stalled, 'Stalled')?.message).to.match(/InvalidPolicyDocument: Upload policy rejected: The upload policy has expired/);
      expect(condition(stalled, 'BundleStored')?.status).to.equal('False');
    });
  });
});
