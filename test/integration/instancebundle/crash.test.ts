// The operator process is killed (SIGKILL) right after each cloud call that starts or makes something, before
// it can record the result, then restarted: the bundle must finish with exactly one bundle task, one image
// and one RegisterImage call.
import { expect } from 'chai';
import type { InstanceBundleStatus } from '../../../src/api/types.ts';
import { DIALECT_PROFILES, startScenario, type Scenario } from '../support/scenario.ts';
import { imageLookups } from '../imagecapture/helpers.ts';
import { BUNDLE_FIXTURES, bundleManifest, calls, killAfter, liveOwned, seed, stopProcess, tasksOf } from './helpers.ts';

type WithStatus = { status?: InstanceBundleStatus };

for (const profile of DIALECT_PROFILES) describe(`InstanceBundle survives SIGKILL at every step boundary (${profile})`, function () {
  this.timeout(240_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile, fixtures: BUNDLE_FIXTURES, operator: false });
  });
  after(async () => s?.close());

  for (const action of ['CreateBucket', 'BundleInstance', 'RegisterImage', 'CreateTags']) {
    it(`killed right after ${action}`, async () => {
      const inst = seed(s);
      const m = bundleManifest(s, inst.id, { register: { name: `crash-${action}-${Date.now()}` } });
      if (action === 'CreateBucket') m.spec.storage = { bucket: `crash-${Date.now()}`, prefix: m.metadata.name, createBucket: true } as never;
      const before = { bundles: calls(s, 'BundleInstance'), registers: calls(s, 'RegisterImage') };
      const first = s.startOperatorProcess();
      await s.create('instancebundles', m);
      await killAfter(s, first, action, calls(s, action) + 1);
      const restartedAt = Date.now();
      const second = s.startOperatorProcess();
      try {
        const done = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready', 'True', 120_000) as WithStatus;
        expect(tasksOf(s, inst.id), 'one bundle task').to.have.length(1);
        expect(calls(s, 'BundleInstance') - before.bundles, 'one BundleInstance call').to.equal(1);
        expect(calls(s, 'RegisterImage') - before.registers, 'one RegisterImage call').to.equal(1);
        // RegisterImage is signed into status just before it is sent: killed before that, the new process knows
        // from status alone that it was never sent and does not look for its image; killed after, it looks.
        expect(imageLookups(s, restartedAt) > 0, 'looked for the image').to.equal(action === 'RegisterImage' || action === 'CreateTags');
        const owned = liveOwned(s, m.metadata.name);
        expect(owned.images.map((i) => i.id), 'one image, tagged').to.deep.equal([done.status!.imageId]);
      } finally {
        await stopProcess(second);
      }
    });
  }
});
