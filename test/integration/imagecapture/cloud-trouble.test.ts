// Throttling, server errors and wrong credentials: captures keep going (or wait), never exceed the cloud's
// rate limit, and finish once the trouble is gone.
import { expect } from 'chai';
import { waitFor } from '../../env/index.ts';
import { DIALECT_PROFILES, startScenario, type Scenario } from '../support/scenario.ts';
import { calls, captureManifest, seedInstance } from './helpers.ts';

for (const profile of DIALECT_PROFILES) describe(`ImageCapture under cloud trouble (${profile})`, function () {
  this.timeout(180_000);
  let s: Scenario;
  afterEach(async () => s?.close());

  it('throttling and 5xx injected: every capture completes, and the rate limit is never exceeded', async function () {
    this.timeout(300_000);
    s = await startScenario({ profile });
    // A tight limit for this cloud: 10 requests/s, burst 10.
    await s.env.kubectl(['patch', 'cloudprofile', s.cloudName, '-n', s.namespace, '--type=merge', '-p', JSON.stringify({ spec: { rateLimit: { qps: 10, burst: 10 } } })]);
    // Faults from now on, the profile's new detection included, so throttling surely happens (≈45 calls at 10 %).
    s.sim.faults.set({ throttle: { rate: 0.1 }, serverError: { rate: 0.03, status: 503 } });
    // The peak is measured from when the new limit is in force (the old gateway's calls are not under it).
    await waitFor(async () => {
      const p = await s.get('cloudprofiles', s.cloudName) as { metadata: { generation?: number }; status?: { observedGeneration?: number } };
      return p.status?.observedGeneration === p.metadata.generation;
    }, { timeoutMs: 30_000, intervalMs: 50, message: 'the CloudProfile to observe the new rate limit' });
    s.sim.log.clear();
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: i % 2 ? 'Orchestrated' : 'CreateImage', noReboot: true });
      names.push(m.metadata.name);
      await s.create('imagecaptures', m);
    }
    for (const n of names) await s.waitForCondition('imagecaptures', n, 'Ready', 'True', 150_000);
    expect(s.sim.faults.fired.throttle ?? 0).to.be.greaterThan(0);
    s.sim.faults.clear();
    // Peak over any wall-clock second, allowing the burst on top of the rate.
    expect(s.sim.log.peakPerSecond).to.be.at.most(20);
  });

  it('wrong credentials: the CloudProfile is not Ready with the reason, captures wait, then finish once the Secret is fixed', async () => {
    s = await startScenario({ profile, credentials: { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'wrong-secret' } });
    const cloudProfile = await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'False');
    const stalled = (cloudProfile.status as { conditions: Array<{ type: string; reason: string }> }).conditions.find((c) => c.type === 'Stalled');
    expect(stalled?.reason).to.equal('CredentialsRejected');
    const m = captureManifest(s, seedInstance(s).id);
    await s.create('imagecaptures', m);
    const waiting = await s.waitForCondition('imagecaptures', m.metadata.name, 'Reconciling');
    const rec = (waiting.status as { conditions: Array<{ type: string; reason: string }> }).conditions.find((c) => c.type === 'Reconciling');
    expect(rec?.reason).to.equal('CredentialsRejected');
    expect(calls(s, 'CreateImage')).to.equal(0);
    await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${s.cloudName}-credentials` }, stringData: { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'demo-secret-key-please-change' } }),
    });
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 60_000);
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 90_000);
  });
});
