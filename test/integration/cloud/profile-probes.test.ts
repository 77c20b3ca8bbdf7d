// A CloudProfile whose capability probe fails (a 5xx on ImportVolume) is Ready anyway: the credentials and the
// calls every flow needs work. The CapabilitiesDetected condition names the probe and why, and one Event says so.
import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import type { CloudProfile } from '../../../src/api/types.ts';

describe('CloudProfile with a failing capability probe', function () {
  this.timeout(90_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'aws', sim: { faults: { serverError: { actions: ['ImportVolume'] } } } });
  });
  after(async () => {
    s?.sim.faults.clear();
    await s?.close();
  });

  it('is Ready, names the failed probe in a condition and says it in one Event', async () => {
    const p = await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True') as unknown as CloudProfile;
    const cond = p.status!.conditions!.find((c) => c.type === 'CapabilitiesDetected')!;
    expect(cond).to.include({ status: 'False', reason: 'ProbeFailed' });
    expect(cond.message).to.match(/probe ImportVolume \(incomplete request\) \(importVolume\): InternalError \(HTTP 500\)/);
    expect(p.status!.unknownCapabilities).to.deep.equal(['importVolume']);
    // A new generation probes again with the same result: still one Event.
    await s.env.kubectl(['patch', '-n', s.namespace, 'cloudprofiles', s.cloudName, '--type=merge', '-p', '{"spec":{"rateLimit":{"qps":150}}}']);
    await waitFor(async () => {
      const now = await s.get<CloudProfile>('cloudprofiles', s.cloudName);
      return (now?.status?.observedGeneration ?? 0) >= 2;
    }, { timeoutMs: 30_000, message: 'second detection' });
    const core = s.env.kubeConfig.makeApiClient(CoreV1Api);
    const events = (await core.listNamespacedEvent({ namespace: s.namespace, fieldSelector: `involvedObject.name=${s.cloudName}` })).items;
    const probeEvents = events.filter((e) => e.reason === 'ProbeFailed');
    expect(probeEvents.length).to.equal(1);
    expect(probeEvents[0]!.count ?? 1).to.equal(1);
    expect(probeEvents[0]!.type).to.equal('Warning');
    expect(s.sim.log.count('ImportVolume')).to.be.greaterThanOrEqual(2);
  });

  it('the probe is skipped once spec.capabilities decides it, and the condition clears', async () => {
    const calls = s.sim.log.count('ImportVolume');
    await s.env.kubectl(['patch', '-n', s.namespace, 'cloudprofiles', s.cloudName, '--type=merge', '-p', '{"spec":{"capabilities":{"importVolume":false}}}']);
    const p = await s.waitForCondition('cloudprofiles', s.cloudName, 'CapabilitiesDetected', 'True') as unknown as CloudProfile;
    expect(p.status!.unknownCapabilities).to.equal(undefined);
    expect(p.status!.capabilities!.importVolume).to.equal(false);
    expect(s.sim.log.count('ImportVolume')).to.equal(calls);
  });
});
