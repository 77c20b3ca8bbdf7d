// Throttling, server errors and wrong credentials: captures keep going (or wait), never exceed the cloud's
// rate limit, and finish once the trouble is gone.
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
    // Faults from now on, the profile's new detection included: 5xx on some of the calls at random, and the
    // next validations and creating calls throttled for sure (a capture makes only a handful of calls).
    s.sim.faults.set({
      throttle: { count: 4, actions: ['DescribeInstances', 'CreateImage', 'CreateSnapshot', 'RegisterImage', 'CreateTags'] },
      serverError: { rate: 0.03, status: 503 },
    });
    // The peak is measured from when the new limit is in force (the old gateway's calls are not under it).
    await waitFor(async () => {
      const p = await s.get('cloudprofiles', s.cloudName) as { metadata: { generation?: number }; status?: { observedGeneration?: number } };
      return p.status?.observedGeneration === p.metadata.generation;
    }, { timeoutMs: 30_000, intervalMs: 50, message: 'the CloudProfile to observe the new rate limit' });
    s.sim.log.clear();
    // The simulator runs in this process: a call the limiter granted is logged when the event loop gets to it, so
    // on a loaded machine calls granted late in one second can be logged in the next. The loop's worst delay is
    // measured over the same period and widens the bound by exactly what the limiter could have granted meanwhile.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: i % 2 ? 'Orchestrated' : 'CreateImage', noReboot: true });
      names.push(m.metadata.name);
      await s.create('imagecaptures', m);
    }
    for (const n of names) await s.waitForCondition('imagecaptures', n, 'Ready', 'True', 150_000);
    lag.disable();
    expect(s.sim.faults.fired.throttle ?? 0).to.be.greaterThan(0);
    s.sim.faults.clear();
    // Peak over any wall-clock second: the burst on top of the rate (10 + 10), plus what the rate grants during the
    // worst event-loop delay (0 on an idle machine).
    const delayS = lag.max / 1e9;
    const bound = Math.floor(10 + 10 * (1 + delayS));
    console.log(`      peak ${s.sim.log.peakPerSecond}/s, bound ${bound} (event-loop delay up to ${Math.round(delayS * 1000)} ms)`);
    expect(s.sim.log.peakPerSecond).to.be.at.most(bound);
  });

  it('wrong credentials: the CloudProfile is not Ready with the reason, captures wait, then finish once the Secret is fixed', async () => {
    s = await startScenario({ profile, credentials: { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'wrong-secret' } });
    const cloudProfile = await s.waitForCondition('cloudprofiles', s.cloudName, 'Stalled', 'True');
    const stalled = (cloudProfile.status as { conditions: Array<{ type: string; reason: string }> }).conditions.find((c) => c.type === 'Stalled');
    expect(stalled?.reason).to.equal('CredentialsRejected');
    const m = captureManifest(s, seedInstance(s).id);
    await s.create('imagecaptures', m);
    // The capture's first pass may see the profile before its Stalled status reaches the operator's cache (it then
    // waits as WaitingForCloud, "not checked yet"); the pass after shows the profile's reason.
    let waiting: { status?: { conditions?: Array<{ type: string; status: string; reason: string }> } } | undefined;
    await waitFor(async () => {
      waiting = await s.get('imagecaptures', m.metadata.name) as typeof waiting;
      return waiting?.status?.conditions?.find((c) => c.type === 'Reconciling')?.reason === 'CredentialsRejected';
    }, { timeoutMs: 60_000, intervalMs: 100, message: 'the capture waiting with reason CredentialsRejected' });
    expect(waiting!.status!.conditions!.find((c) => c.type === 'Reconciling')?.status).to.equal('True');
    expect(waiting!.status!.conditions!.find((c) => c.type === 'Stalled')?.status).to.not.equal('True');
    expect(calls(s, 'CreateImage')).to.equal(0);
    await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${s.cloudName}-credentials` }, stringData: { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'demo-secret-key-please-change' } }),
    });
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 60_000);
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 90_000);
  });
});
