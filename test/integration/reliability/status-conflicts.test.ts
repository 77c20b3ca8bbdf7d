// Users edit labels and annotations while the operator adds its finalizer and writes status: neither side
// loses a write (the operator's metadata patches retry on conflict; status goes to the status subresource).
import { expect } from 'chai';
import { GROUP, VERSION } from '../../../src/api/constants.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { waitSettled } from './helpers.ts';

describe('reliability: status update conflicts', function () {
  this.timeout(120_000);
  let s: Scenario;
  after(async () => s?.close());

  it('captures finish while their labels and annotations change many times a second, and the last edits stay', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', sim: { latency: { snapshotMs: 800, imageMs: 400, instanceMs: 200 } } });
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: i === 0 ? 'CreateImage' : 'Orchestrated', noReboot: i === 2 });
      names.push(m.metadata.name);
      await t.create('imagecaptures', m);
    }
    // The "user": read-modify-write with the resourceVersion (like kubectl edit), as fast as the API allows.
    let edits = 0;
    let conflicts = 0;
    let stop = false;
    const editor = (async () => {
      while (!stop) {
        for (const name of names) {
          const obj = await s.get<{ metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } }>('imagecaptures', name);
          if (!obj) continue;
          const n = String(++edits);
          obj.metadata.labels = { ...obj.metadata.labels, edit: n };
          obj.metadata.annotations = { ...obj.metadata.annotations, [`note-${edits % 5}`]: n };
          try {
            // PUT carries the resourceVersion read above: a write in between makes it a 409.
            await s.custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: s.namespace, plural: 'imagecaptures', name, body: obj });
          } catch (err) {
            if ((err as { code?: number }).code === 409) conflicts++;
            else throw err;
          }
        }
      }
    })();
    try {
      for (const name of names) await s.waitForCondition('imagecaptures', name, 'Ready', 'True', 90_000);
    } finally {
      stop = true;
      await editor;
    }
    await waitSettled(s, t.resources);
    for (const name of names) {
      const obj = await s.get<{ metadata: { labels?: Record<string, string>; finalizers?: string[] }; status?: { imageId?: string } }>('imagecaptures', name);
      expect(obj?.metadata.labels?.edit, `${name} keeps the user's label`).to.match(/^\d+$/);
      expect(obj?.metadata.finalizers, `${name} keeps the operator's finalizer`).to.include(`${GROUP}/finalizer`);
      expect(obj?.status?.imageId).to.match(/^emi-/);
    }
    console.log(`      ${edits} user edits, ${conflicts} of them refused with 409 while the operator wrote`);
    expect(edits).to.be.greaterThan(names.length * 3);
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
