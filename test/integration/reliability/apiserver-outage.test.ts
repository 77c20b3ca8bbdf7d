// The API server goes away for 30 s while captures are in flight: their status writes fail and their work-queue
// backoff grows meanwhile. When the informers' list/watch answers again, every failed key runs at once with its
// backoff reset, so the captures finish within moments of the server's return instead of minutes later.
import { expect } from 'chai';
import { GROUP, VERSION } from '../../../src/api/constants.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { condOf, createCalls, diffCalls, snapshotsInCloud } from './helpers.ts';

const OUTAGE_MS = 30_000;
/** The informers' own list/watch retry backs off to at most 30 s; the captures must not add their backoff to it. */
const RESUME_BOUND_MS = 35_000;

describe('reliability: API server outage', function () {
  this.timeout(240_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
  });
  after(async () => s?.close());

  it('captures in flight resume promptly once the API server is back (backoff reset when the watch returns)', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    // Snapshots finish during the outage, so every capture has work (a status write) that fails meanwhile.
    s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 4_000 };
    const names: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true }, `outage-${i}`);
        await t.create('imagecaptures', m);
        names.push(m.metadata.name);
      }
      // Root and attached volume: two snapshots each, in the cloud (status records their ids once they complete).
      await waitFor(async () => {
        for (const n of names) if (!(await snapshotsInCloud(s, n, 2))) return false;
        return true;
      }, { timeoutMs: 30_000, message: 'every capture snapshotting' });
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 0 };
    }
    const before = createCalls(s);
    const { stoppedAt, readyAt } = await s.env.apiServerOutage(OUTAGE_MS);
    console.log(`      API server down ${readyAt - stoppedAt} ms (until /readyz)`);
    let allReadyAt = 0;
    await waitFor(async () => {
      for (const n of names) if (condOf(await s.get('imagecaptures', n), 'Ready')?.status !== 'True') return false;
      allReadyAt = Date.now();
      return true;
    }, { timeoutMs: 120_000, intervalMs: 100, message: 'every capture Ready after the outage' });
    const resumeMs = allReadyAt - readyAt;
    console.log(`      every capture Ready ${resumeMs} ms after the API server was back`);
    expect(resumeMs).to.be.below(RESUME_BOUND_MS);
    // Nothing was made twice while the writes failed.
    expect(diffCalls(createCalls(s), before)).to.deep.equal({ CreateImage: 0, RegisterImage: 4, CreateSnapshot: 0, BundleInstance: 0, RebootInstances: 0 });
    // The API server answers 429 "storage is (re)initializing" to lists of a kind until its watch cache is filled again
    // (each kind the invariants list).
    for (const plural of ['imagecaptures', 'instancebundles']) {
      await waitFor(async () => s.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: s.namespace, plural }).then(() => true, () => false), { timeoutMs: 30_000, message: `${plural} listable` });
    }
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
