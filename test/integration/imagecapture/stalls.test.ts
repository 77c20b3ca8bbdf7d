// Bad input and impossible captures end Stalled with a stable reason and an actionable message, before any
// change in the cloud, and nothing is left behind.
import { expect } from 'chai';
import { DIALECT_PROFILES, startScenario, type Scenario } from '../support/scenario.ts';
import { calls, captureManifest, ownedObjects, seedInstance } from './helpers.ts';

type Cond = { type: string; status: string; reason: string; message: string };

async function stalled(s: Scenario, name: string): Promise<Cond> {
  const obj = await s.waitForCondition('imagecaptures', name, 'Stalled');
  const conds = (obj.status as { conditions: Cond[] }).conditions;
  expect(conds.find((c) => c.type === 'Ready')?.status).to.equal('False');
  return conds.find((c) => c.type === 'Stalled')!;
}

for (const profile of DIALECT_PROFILES) describe(`ImageCapture stalls with clear reasons (${profile})`, function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile });
  });
  after(async () => s?.close());

  it('an instance that does not exist', async () => {
    const m = captureManifest(s, 'i-0BADBEEF');
    await s.create('imagecaptures', m);
    const c = await stalled(s, m.metadata.name);
    expect(c.reason).to.equal('InstanceNotFound');
    expect(c.message).to.match(/i-0BADBEEF/);
  });

  it("another account's instance is invisible: not found, and nothing is touched", async () => {
    const inst = seedInstance(s, { account: 'other' });
    const m = captureManifest(s, inst.id);
    await s.create('imagecaptures', m);
    expect((await stalled(s, m.metadata.name)).reason).to.equal('InstanceNotFound');
    expect(s.sim.state.instances.get(inst.id)!.rebootCount).to.equal(0);
  });

  it('a terminated instance', async () => {
    const inst = seedInstance(s);
    s.sim.state.instances.get(inst.id)!.state = 'terminated';
    const m = captureManifest(s, inst.id);
    await s.create('imagecaptures', m);
    const c = await stalled(s, m.metadata.name);
    expect(c.reason).to.equal('InvalidInstanceState');
    expect(c.message).to.match(/terminated/);
  });

  it('an image name already used in the account', async () => {
    const taken = captureManifest(s, seedInstance(s).id);
    await s.create('imagecaptures', taken);
    await s.waitForCondition('imagecaptures', taken.metadata.name, 'Ready');
    const creates = calls(s, 'CreateImage');
    const dup = captureManifest(s, seedInstance(s).id, { image: { name: taken.spec.image.name } });
    await s.create('imagecaptures', dup);
    const c = await stalled(s, dup.metadata.name);
    expect(c.reason).to.equal('DuplicateImageName');
    expect(c.message).to.match(/choose another spec.image.name/);
    expect(calls(s, 'CreateImage')).to.equal(creates, 'no CreateImage after the name check failed');
  });

  it('a name Eucalyptus refuses (space, dot) stalls InvalidImageName before anything is created, whatever the strategy', async () => {
    const creating = () => ['CreateImage', 'RegisterImage', 'CreateSnapshot', 'RebootInstances', 'CreateTags'].map((a) => calls(s, a)).join();
    for (const strategy of ['CreateImage', 'Orchestrated'] as const) {
      const before = creating();
      const m = captureManifest(s, seedInstance(s).id, { strategy, image: { name: `web golden v1.${Date.now()}` } });
      await s.create('imagecaptures', m);
      const c = await stalled(s, m.metadata.name);
      expect(c.reason).to.equal('InvalidImageName');
      expect(c.message).to.match(/not accepted by a eucalyptus cloud/).and.match(/nothing was created/);
      expect(creating(), `${strategy}: no creating call`).to.equal(before);
      expect(ownedObjects(s, s.namespace, m.metadata.name).snapshots).to.have.length(0);
    }
  });

  it('an instance-store instance is refused with the reason and the InstanceBundle way, whatever the strategy', async () => {
    for (const strategy of ['Auto', 'CreateImage', 'Orchestrated'] as const) {
      const creating = () => ['BundleInstance', 'ImportVolume', 'CreateImage', 'CreateSnapshot'].map((a) => s.sim.log.count(a)).join();
      const before = creating();
      const m = captureManifest(s, seedInstance(s, { rootDeviceType: 'instance-store' }).id, { strategy });
      await s.create('imagecaptures', m);
      const c = await stalled(s, m.metadata.name);
      expect(c.reason).to.equal('UnsupportedByCloud');
      expect(c.message).to.contain('ImportVolume reads only import manifests').and.contain('Base manifest does not have size element')
        .and.contain('encrypted with a key only the cloud holds').and.contain('InstanceBundle with spec.register');
      expect(ownedObjects(s, s.namespace, m.metadata.name).snapshots).to.have.length(0);
      expect(creating(), 'nothing is created in the cloud').to.equal(before);
    }
  });

  it('a CloudProfile that does not exist, resolved once it is created', async () => {
    const m = captureManifest(s, seedInstance(s).id);
    (m.spec as { cloudRef: { name: string } }).cloudRef = { name: 'later' };
    await s.create('imagecaptures', m);
    expect((await stalled(s, m.metadata.name)).reason).to.equal('CloudProfileNotFound');
    await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'CloudProfile', metadata: { name: 'later' }, spec: { ec2Endpoint: s.sim.url, s3Endpoint: s.sim.s3Url, region: 'eucalyptus', credentialsSecretRef: { name: `${s.cloudName}-credentials` } } }),
    });
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 90_000);
  });
});
