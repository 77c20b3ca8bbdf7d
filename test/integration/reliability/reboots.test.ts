// Many captures of one instance: one disruptive operation at a time per instance, and captures that ask together
// share one reboot (the 200 captures rebooted their instance 200 times).
import { expect } from 'chai';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { waitSettled, type WithStatus } from './helpers.ts';

const CAPTURES = 12;

describe('reliability: captures of one instance share its reboots', function () {
  this.timeout(180_000);
  let s: Scenario;
  after(async () => s?.close());

  it(`${CAPTURES} Orchestrated captures of one instance created together reboot it a few times, not ${CAPTURES}`, async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: { rebootSettleMs: 1_000 } });
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const inst = seedInstance(s);
    await Promise.all(Array.from({ length: CAPTURES }, (_, i) => t.create('imagecaptures', captureManifest(s, inst.id, { strategy: 'Orchestrated', noReboot: false, deletionPolicy: 'Delete' }, `same-instance-${i}`))));
    await waitSettled(s, t.resources, 150_000);
    const reboots = s.sim.state.instances.get(inst.id)!.rebootCount;
    console.log(`      ${CAPTURES} captures of one instance: ${reboots} reboot(s)`);
    for (const r of t.resources) {
      const c = await s.get<WithStatus>('imagecaptures', r.name);
      expect(c?.status?.indications, r.name).to.deep.equal(['Rebooted']);
    }
    expect(reboots).to.be.within(1, 3);
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
