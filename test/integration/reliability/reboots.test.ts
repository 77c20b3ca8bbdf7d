// Many captures of one instance: one disruptive operation at a time per instance, and captures that ask together
// share one reboot (the 200 captures rebooted their instance 200 times). The record of reboots lives in
// Leases in the operator's namespace, so it holds across a restart (and across shards).
import { expect } from 'chai';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { waitSettled, type WithStatus } from './helpers.ts';

const CAPTURES = 12;

/** When the cloud rebooted the instance (RebootInstances, or a CreateImage without NoReboot), oldest first. */
function rebootTimes(s: Scenario, instanceId: string): number[] {
  return s.sim.state.events.filter((e) => e.type === 'reboot' && e.id === instanceId).map((e) => e.time.getTime());
}

/**
 * The ledger records a reboot just before sending it and the cloud logs it on arrival, so two logged reboots can be
 * a few tens of milliseconds closer than the settle period the operator kept between them.
 */
const ARRIVAL_JITTER_MS = 250;

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

describe('reliability: captures of one instance share its reboots', function () {
  this.timeout(180_000);
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it(`${CAPTURES} Orchestrated captures of one instance created together reboot it a few times, not ${CAPTURES}`, async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: { rebootSettleMs: 1_000 } });
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const inst = seedInstance(s);
    await Promise.all(Array.from({ length: CAPTURES }, (_, i) => t.create('imagecaptures', captureManifest(s!, inst.id, { strategy: 'Orchestrated', noReboot: false, deletionPolicy: 'Delete' }, `same-instance-${i}`))));
    await waitSettled(s, t.resources, 150_000);
    const times = rebootTimes(s, inst.id);
    console.log(`      ${CAPTURES} captures of one instance: ${times.length} reboot(s), gaps ${gaps(times).join(', ') || '-'} ms`);
    for (const r of t.resources) {
      const c = await s.get<WithStatus>('imagecaptures', r.name);
      expect(c?.status?.indications, r.name).to.deep.equal(['Rebooted']);
    }
    expect(times.length).to.be.within(1, 3);
    for (const g of gaps(times)) expect(g).to.be.at.least(1_000 - ARRIVAL_JITTER_MS);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('CreateImage captures that reboot the same instance take turns, one settle period apart', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: { rebootSettleMs: 1_500 } });
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const inst = seedInstance(s);
    await Promise.all(Array.from({ length: 3 }, (_, i) => t.create('imagecaptures', captureManifest(s!, inst.id, { strategy: 'CreateImage', noReboot: false, deletionPolicy: 'Delete' }, `create-image-${i}`))));
    await waitSettled(s, t.resources, 120_000);
    const times = rebootTimes(s, inst.id);
    console.log(`      3 rebooting CreateImage captures: ${times.length} reboot(s), gaps ${gaps(times).join(', ')} ms`);
    // Each CreateImage reboots by itself (a reboot cannot be shared there), but never while another settles.
    expect(times).to.have.length(3);
    for (const g of gaps(times)) expect(g).to.be.at.least(1_500 - ARRIVAL_JITTER_MS);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('an operator restarted after SIGKILL still waits for the reboot its predecessor sent', async () => {
    // Long enough that the second process is up and asking well inside it; separate processes, so nothing the first
    // one held in memory reaches the second.
    const settleMs = 12_000;
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false });
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const inst = seedInstance(s);
    const first = s.startOperatorProcess({ EIO_REBOOT_SETTLE: `${settleMs}ms` });
    await t.create('imagecaptures', captureManifest(s, inst.id, { strategy: 'Orchestrated', noReboot: false, deletionPolicy: 'Delete' }, 'before-restart'));
    await waitFor(async () => rebootTimes(s!, inst.id).length === 1, { timeoutMs: 60_000, intervalMs: 50, message: 'the first reboot' });
    first.kill('SIGKILL');
    await waitFor(async () => first.exitCode !== null || first.signalCode !== null, { timeoutMs: 10_000, intervalMs: 20, message: 'the first operator to exit' });
    s.startOperatorProcess({ EIO_REBOOT_SETTLE: `${settleMs}ms` });
    await t.create('imagecaptures', captureManifest(s, inst.id, { strategy: 'Orchestrated', noReboot: false, deletionPolicy: 'Delete' }, 'after-restart'));
    await waitSettled(s, t.resources, 120_000);
    const times = rebootTimes(s, inst.id);
    console.log(`      reboot before and after SIGKILL and restart: gap ${gaps(times).join(', ')} ms`);
    expect(times).to.have.length(2);
    expect(times[1]! - times[0]!).to.be.at.least(settleMs - ARRIVAL_JITTER_MS);
    const leases = await s.env.kubectl(['get', 'leases', '-n', s.namespace, '-l', 'imaging.eucalyptus.dev/reboot-ledger=true', '-o', 'name']);
    expect(leases.stdout.trim().split('\n')).to.have.length(1);
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
