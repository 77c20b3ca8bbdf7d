// The operator process is killed (SIGKILL) right after each cloud call that creates or changes something, i.e.
// in the window between the call and the status write, then restarted: the capture must finish with exactly
// one snapshot per volume and one image, and nothing leaked.
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { waitFor } from '../../env/index.ts';
import { DIALECT_PROFILES, startScenario, type Scenario } from '../support/scenario.ts';
import { calls, captureManifest, imageLookups, ownedObjects, seedInstance } from './helpers.ts';

async function killAfter(s: Scenario, child: ChildProcess, action: string, nth = 1): Promise<void> {
  await waitFor(async () => calls(s, action) >= nth, { timeoutMs: 60_000, intervalMs: 1, message: `${action} to be called` });
  child.kill('SIGKILL');
  await waitFor(async () => child.exitCode !== null || child.signalCode !== null, { timeoutMs: 10_000, intervalMs: 20, message: 'operator to die' });
}

const cases: Array<{ strategy: string; action: string; noReboot?: boolean }> = [
  { strategy: 'Orchestrated', action: 'RebootInstances' },
  { strategy: 'Orchestrated', action: 'CreateSnapshot', noReboot: true },
  { strategy: 'Orchestrated', action: 'CreateTags', noReboot: true },
  { strategy: 'Orchestrated', action: 'RegisterImage', noReboot: true },
  { strategy: 'CreateImage', action: 'CreateImage' },
  { strategy: 'CreateImage', action: 'CreateTags' },
];

for (const profile of DIALECT_PROFILES) describe(`ImageCapture survives SIGKILL at every step boundary (${profile})`, function () {
  this.timeout(240_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile, operator: false });
  });
  after(async () => s?.close());

  for (const c of cases) {
    it(`${c.strategy}: killed right after ${c.action}`, async () => {
      const inst = seedInstance(s, { attachedVolumes: 1 });
      const m = captureManifest(s, inst.id, { strategy: c.strategy, noReboot: c.noReboot ?? false });
      const before = { snaps: calls(s, 'CreateSnapshot'), images: calls(s, 'CreateImage') + calls(s, 'RegisterImage'), reboots: calls(s, 'RebootInstances') };
      const target = calls(s, c.action) + 1;
      const first = s.startOperatorProcess();
      await s.create('imagecaptures', m);
      await killAfter(s, first, c.action, target);
      const restartedAt = Date.now();
      const second = s.startOperatorProcess();
      try {
        const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 120_000);
        const owned = ownedObjects(s, s.namespace, m.metadata.name);
        expect(owned.images, 'exactly one image').to.have.length(1);
        expect(owned.images[0]!.id).to.equal((done.status as { imageId: string }).imageId);
        expect(owned.snapshots, 'one snapshot per volume').to.have.length(2);
        expect(calls(s, 'CreateImage') + calls(s, 'RegisterImage') - before.images, 'one create call').to.equal(1);
        if (c.strategy === 'Orchestrated') expect(calls(s, 'CreateSnapshot') - before.snaps).to.equal(2);
        // RegisterImage is signed into status just before it is sent: killed before that, the new process knows
        // from status alone that it was never sent and does not look for its image; killed after, it looks.
        if (c.strategy === 'Orchestrated') expect(imageLookups(s, restartedAt) > 0, 'looked for the image').to.equal(c.action === 'RegisterImage');
        expect(calls(s, 'RebootInstances') - before.reboots).to.be.at.most(c.noReboot ? 0 : 2);
      } finally {
        second.kill('SIGTERM');
        await waitFor(async () => second.exitCode !== null || second.signalCode !== null, { timeoutMs: 30_000, intervalMs: 50, message: 'operator to stop' });
      }
    });
  }
});
