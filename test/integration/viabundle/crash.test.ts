// A ViaBundle capture whose operator process is killed (SIGKILL) right after each creating call and restarted
// finishes with one bundle task, one volume import, one snapshot and one image, and leaves no temporary
// volume or staged object behind.
import { expect } from 'chai';
import type { ImageCaptureStatus } from '../../../src/api/types.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { BUNDLE_FIXTURES, bundleObjects, calls, killAfter, liveOwned, seed, stopProcess, tasksOf } from '../instancebundle/helpers.ts';
import { captureOf, imports, stagingBucket } from './helpers.ts';

type WithStatus = { status?: ImageCaptureStatus; metadata: { uid: string } };

describe('ImageCapture ViaBundle survives SIGKILL at every step boundary', function () {
  this.timeout(300_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-4.0', fixtures: BUNDLE_FIXTURES, operator: false });
  });
  after(async () => s?.close());

  // CreateTags (nth 1) tags the imported volume; the snapshot and image are tagged in their create calls' wake.
  for (const action of ['BundleInstance', 'ImportVolume', 'CreateTags', 'CreateSnapshot', 'RegisterImage']) {
    it(`killed right after ${action}`, async () => {
      const inst = seed(s);
      const m = captureOf(s, inst.id, { strategy: 'ViaBundle' });
      const before = Object.fromEntries(['BundleInstance', 'CreateSnapshot', 'RegisterImage'].map((a) => [a, calls(s, a)]));
      const importsBefore = imports(s);
      const first = s.startOperatorProcess();
      await s.create('imagecaptures', m);
      await killAfter(s, first, action, (action === 'ImportVolume' ? imports(s) : calls(s, action)) + 1, action === 'ImportVolume' ? () => imports(s) : undefined);
      const second = s.startOperatorProcess();
      try {
        const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 120_000) as WithStatus;
        for (const a of Object.keys(before)) expect(calls(s, a) - before[a]!, `one ${a} call`).to.equal(1);
        expect(imports(s) - importsBefore, 'one volume import').to.equal(1);
        expect(tasksOf(s, inst.id), 'one bundle task').to.have.length(1);
        const owned = liveOwned(s, m.metadata.name);
        expect(owned.images.map((i) => i.id), 'one image').to.deep.equal([done.status!.imageId]);
        expect(owned.snapshots, 'one snapshot').to.have.length(1);
        expect(owned.volumes, 'no temporary volume').to.have.length(0);
        expect(bundleObjects(s, stagingBucket(s), `eio-${done.metadata.uid}`), 'no staged object').to.deep.equal([]);
      } finally {
        await stopProcess(second);
      }
    });
  }
});
