// Deletion at every step under each deletion policy, for the steps the ImageCapture tests do not
// already delete at: the capture must go (finalizer released) and leave nothing but what its policy keeps.
import { expect } from 'chai';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { waitSettled } from './helpers.ts';

const SLOW = { instanceMs: 600, snapshotMs: 1_500, imageMs: 1_500 };

describe('reliability: deletion at every step', function () {
  this.timeout(240_000);
  let s: Scenario;
  after(async () => s?.close());

  const orchestrated: Array<{ at: string; action: string; noReboot: boolean }> = [
    { at: 'quiescing (reboot sent)', action: 'RebootInstances', noReboot: false },
    { at: 'snapshotting', action: 'CreateSnapshot', noReboot: true },
    { at: 'registering (image pending)', action: 'RegisterImage', noReboot: true },
  ];
  it('Orchestrated captures deleted mid-step under Retain and Delete leave only what the policy keeps', async () => {
    s = await startScenario({ profile: 'eucalyptus-4.0', sim: { latency: SLOW } });
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const cases: string[] = [];
    for (const policy of ['Retain', 'Delete'] as const) {
      for (const c of orchestrated) {
        const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: c.noReboot, deletionPolicy: policy });
        cases.push(await deleteWhen(s, t, m, c.action, `${policy} ${c.at}`));
      }
    }
    await waitSettled(s, t.resources, 120_000);
    const report = await checkInvariants(s, { resources: t.resources, baseline });
    console.log(`      ${cases.length} deletions: ${cases.join('; ')}\n      invariants: ${JSON.stringify(report)}`);
    expect(report.deleted).to.equal(cases.length);
  });
});

async function deleteWhen(s: Scenario, t: ResourceTracker, m: { metadata: { name: string }; spec: Record<string, unknown> }, action: string, label: string): Promise<string> {
  const before = s.sim.log.count(action);
  await t.create('imagecaptures', m);
  await waitFor(() => s.sim.log.count(action) > before, { timeoutMs: 60_000, intervalMs: 5, message: `${label}: ${action}` });
  await t.remove('imagecaptures', m.metadata.name);
  const started = Date.now();
  await s.waitGone('imagecaptures', m.metadata.name, 90_000);
  return `${label} gone in ${Date.now() - started} ms`;
}
