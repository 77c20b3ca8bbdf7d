// The available image is checked against what was asked, never trusting tags-on-create: tags the cloud dropped
// are added (image and every snapshot), a device mapping the cloud dropped is reported (ImageVerified=False and
// an Event) instead of a silent Ready, and an edit of spec.image.tags on an Available capture reaches the image
// and its snapshots, removing only tags this capture put there.
import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { OWNER_TAG } from '../../../src/api/constants.ts';
import type { ImageCapture } from '../../../src/api/types.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from './helpers.ts';

type Cap = ImageCapture & { status: NonNullable<ImageCapture['status']> };

function tagsOf(s: Scenario, id: string): Record<string, string> {
  const o = id.startsWith('snap-') ? s.sim.state.snapshots.get(id) : s.sim.state.images.get(id);
  return Object.fromEntries(o?.tags ?? []);
}

async function eventReasons(s: Scenario, name: string): Promise<Map<string, string>> {
  const core = s.env.kubeConfig.makeApiClient(CoreV1Api);
  const items = (await core.listNamespacedEvent({ namespace: s.namespace, fieldSelector: `involvedObject.name=${name}` })).items;
  return new Map(items.map((e) => [e.reason!, e.message!]));
}

function cond(c: Cap, type: string) {
  return c.status.conditions!.find((x) => x.type === type);
}

describe('ImageCapture: the image is checked against what was asked (aws)', function () {
  this.timeout(90_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'aws' });
  });
  afterEach(() => s.sim.faults.clear());
  after(async () => s?.close());

  it('RegisterImage that ignores TagSpecifications: the missing tags are added, the capture says so', async () => {
    s.sim.faults.set({ ignoreTagSpecifications: { actions: ['RegisterImage'] } });
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true, image: { tags: { team: 'web', tier: 'gold' } } });
    await s.create('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as unknown as Cap;
    expect(s.sim.faults.fired.ignoreTagSpecifications).to.be.greaterThan(0);
    expect(cond(c, 'ImageVerified')).to.include({ status: 'True', reason: 'Succeeded' });
    for (const id of [c.status.imageId!, ...c.status.snapshots!.map((x) => x.snapshotId!)]) {
      expect(tagsOf(s, id), id).to.include({ team: 'web', tier: 'gold', [OWNER_TAG]: `${s.namespace}/${m.metadata.name}/${c.metadata.uid}` });
    }
    const events = await eventReasons(s, m.metadata.name);
    expect(events.get('TagsRepaired')).to.include(c.status.imageId!);
    expect(c.status.appliedTags).to.deep.equal({ team: 'web', tier: 'gold' });
  });

  it('CreateImage that ignores TagSpecifications: image and every snapshot get the tags', async () => {
    s.sim.faults.set({ ignoreTagSpecifications: { actions: ['CreateImage'] } });
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'CreateImage', noReboot: true, image: { tags: { team: 'db' } } });
    await s.create('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as unknown as Cap;
    const image = s.sim.state.images.get(c.status.imageId!)!;
    const snaps = image.blockDeviceMappings.map((b) => b.ebs?.snapshotId).filter((x): x is string => !!x);
    expect(snaps).to.have.length(2);
    for (const id of [image.id, ...snaps]) expect(tagsOf(s, id), id).to.include({ team: 'db' }).and.to.have.property(OWNER_TAG);
    expect(cond(c, 'ImageVerified')?.status).to.equal('True');
  });

  it('CreateImage that maps only the root device: ImageVerified=False names the dropped volume, with an Event', async () => {
    s.sim.faults.set({ rootOnlyCreateImage: {} });
    const inst = seedInstance(s, { attachedVolumes: 1 });
    const attached = inst.attachments.find((a) => a.device !== inst.rootDeviceName)!;
    const m = captureManifest(s, inst.id, { strategy: 'CreateImage', noReboot: true });
    await s.create('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'ImageVerified', 'False') as unknown as Cap;
    const v = cond(c, 'ImageVerified')!;
    expect(v.reason).to.equal('ImageDiffers');
    expect(v.message).to.include(`device ${attached.device} (volume ${attached.volumeId}) is missing from the image`);
    expect(c.status.phase).to.equal('Available');
    expect(cond(c, 'Ready')!.message).to.match(/differs from what was asked/);
    const events = await eventReasons(s, m.metadata.name);
    expect(events.get('ImageDiffers')).to.include(attached.device);
  });

  it('an edit of spec.image.tags on an Available capture reaches the image and its snapshots', async () => {
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true, image: { tags: { keep: 'a', change: 'old', drop: 'x' } } });
    await s.create('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as unknown as Cap;
    const ids = [c.status.imageId!, ...c.status.snapshots!.map((x) => x.snapshotId!)];
    // A tag someone else put on the image is never touched, even under a key the capture gives up.
    s.sim.state.images.get(c.status.imageId!)!.tags.set('foreign', 'theirs');
    const patch = { spec: { image: { tags: { keep: 'a', change: 'new', drop: null, added: 'yes' } } } };
    const r = await s.env.kubectl(['patch', '-n', s.namespace, 'imagecaptures', m.metadata.name, '--type=merge', '-p', JSON.stringify(patch)]);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(async () => {
      const now = await s.get<Cap>('imagecaptures', m.metadata.name);
      return now?.status.appliedTags?.['added'] === 'yes';
    }, { timeoutMs: 30_000, message: 'appliedTags updated' });
    for (const id of ids) {
      const t = tagsOf(s, id);
      expect(t, id).to.include({ keep: 'a', change: 'new', added: 'yes' });
      expect(t, id).to.not.have.property('drop');
    }
    expect(tagsOf(s, c.status.imageId!)).to.include({ foreign: 'theirs' });
    const events = await eventReasons(s, m.metadata.name);
    expect(events.get('TagsUpdated')).to.be.a('string');
  });
});
