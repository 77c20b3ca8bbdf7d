// Every capture strategy on each profile it applies to, checked in the cluster (status) and in the cloud.
import { expect } from 'chai';
import { OWNER_TAG } from '../../../src/api/constants.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { calls, captureManifest, ownedObjects, seedInstance } from './helpers.ts';

type Status = { phase?: string; imageId?: string; strategy?: string; indications?: string[]; snapshots?: Array<{ deviceName: string; snapshotId?: string }>; progress?: number };

describe('ImageCapture strategies', function () {
  this.timeout(180_000);
  let s: Scenario;
  afterEach(async () => s?.close());

  it('CreateImage on eucalyptus-3.4: the cloud reboots and snapshots; image and its snapshots carry the user and owner tags', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
    const inst = seedInstance(s, { attachedVolumes: 2 });
    const m = captureManifest(s, inst.id, { image: { description: 'golden', tags: { team: 'web' } } });
    await s.create('imagecaptures', m);
    const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready');
    const st = done.status as Status;
    expect(st.phase).to.equal('Available');
    expect(st.strategy).to.equal('CreateImage');
    expect(st.indications).to.deep.equal(['Rebooted']);
    expect(st.progress).to.equal(100);
    expect(st.imageId).to.match(/^emi-[0-9A-F]{8}$/);
    const image = s.sim.state.images.get(st.imageId!)!;
    expect(image.state).to.equal('available');
    expect(image.tags.get('team')).to.equal('web');
    expect(image.tags.get(OWNER_TAG)).to.match(new RegExp(`^${s.namespace}/${m.metadata.name}/`));
    const owned = ownedObjects(s, s.namespace, m.metadata.name);
    expect(owned.snapshots).to.have.length(3, 'root and two attached volumes');
    for (const snap of owned.snapshots) expect(snap.tags.get('team')).to.equal('web');
    expect(st.snapshots).to.have.length(3);
    expect(calls(s, 'CreateImage')).to.equal(1);
    // The first pass validates and creates with one look at the instance.
    const log = s.sim.log.entries();
    const beforeCreate = log.slice(0, log.findIndex((e) => e.action === 'CreateImage'));
    expect(beforeCreate.filter((e) => e.action === 'DescribeInstances' && JSON.stringify(e.params).includes(inst.id))).to.have.length(1);
    const sent = s.sim.log.entries('CreateImage')[0]!.params;
    expect(sent.NoReboot ?? 'false').to.equal('false');
  });

  it('Orchestrated with noReboot: no reboot, one snapshot per volume, attached volumes and user mappings in the image', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
    const inst = seedInstance(s, { attachedVolumes: 2 });
    const devices = inst.attachments.map((a: { device: string }) => a.device).sort();
    const m = captureManifest(s, inst.id, {
      strategy: 'Orchestrated',
      noReboot: true,
      blockDeviceMappings: [{ deviceName: devices[1], noDevice: true }, { deviceName: '/dev/sdz', virtualName: 'ephemeral0' }],
    });
    await s.create('imagecaptures', m);
    const st = (await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready')).status as Status;
    expect(st.strategy).to.equal('Orchestrated');
    expect(st.indications).to.deep.equal(['NoReboot']);
    expect(calls(s, 'RebootInstances')).to.equal(0);
    expect(calls(s, 'CreateSnapshot')).to.equal(2, 'root and the one attached volume not suppressed');
    const log = s.sim.log.entries();
    const beforeSnapshots = log.slice(0, log.findIndex((e) => e.action === 'CreateSnapshot'));
    expect(beforeSnapshots.filter((e) => e.action === 'DescribeInstances' && JSON.stringify(e.params).includes(inst.id))).to.have.length(1, 'validation and the first steps share one DescribeInstances');
    const image = s.sim.state.images.get(st.imageId!)!;
    const mapped = Object.fromEntries(image.blockDeviceMappings.map((b) => [b.deviceName, b]));
    expect(mapped[devices[1]!]?.noDevice, 'user mapping overrides the attached volume').to.equal(true);
    expect(mapped['/dev/sdz']?.virtualName).to.equal('ephemeral0');
    expect(mapped[inst.rootDeviceName]?.ebs?.snapshotId).to.be.a('string');
  });

  it('Orchestrated without noReboot reboots exactly once and records it', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
    const inst = seedInstance(s, { attachedVolumes: 1 });
    const m = captureManifest(s, inst.id, { strategy: 'Orchestrated' });
    await s.create('imagecaptures', m);
    const st = (await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready')).status as Status;
    expect(st.indications).to.deep.equal(['Rebooted']);
    expect(calls(s, 'RebootInstances')).to.equal(1);
    expect(s.sim.state.instances.get(inst.id)!.rebootCount).to.equal(1);
    expect(calls(s, 'CreateSnapshot')).to.equal(2);
    expect(calls(s, 'RegisterImage')).to.equal(1);
  });

  it('Auto on eucalyptus-3.3 falls back to Orchestrated when CreateImage answers without an image id', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.3' });
    const inst = seedInstance(s, { attachedVolumes: 1 });
    const m = captureManifest(s, inst.id);
    await s.create('imagecaptures', m);
    const st = (await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready')).status as Status;
    expect(st.strategy).to.equal('Orchestrated');
    expect(st.imageId).to.match(/^emi-/);
    expect(calls(s, 'RegisterImage')).to.equal(1);
    // The cloud taught the operator once; a second capture goes straight to Orchestrated.
    const second = captureManifest(s, seedInstance(s).id);
    const before = calls(s, 'CreateImage');
    await s.create('imagecaptures', second);
    await s.waitForCondition('imagecaptures', second.metadata.name, 'Ready');
    expect(calls(s, 'CreateImage')).to.equal(before);
  });

  it('a stopped instance is captured without a reboot and reported as WasStopped', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
    const inst = seedInstance(s, { state: 'stopped' });
    const m = captureManifest(s, inst.id, { strategy: 'Orchestrated' });
    await s.create('imagecaptures', m);
    const st = (await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready')).status as Status;
    expect(st.indications).to.deep.equal(['WasStopped']);
    expect(calls(s, 'RebootInstances')).to.equal(0);
  });

  it('CreateImage on the aws profile gives an ami- image with tagged snapshots', async () => {
    s = await startScenario({ profile: 'aws' });
    const inst = seedInstance(s, { attachedVolumes: 1 });
    const m = captureManifest(s, inst.id, { noReboot: true, image: { tags: { env: 'prod' } } });
    await s.create('imagecaptures', m);
    const st = (await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready')).status as Status;
    expect(st.imageId).to.match(/^ami-[0-9a-f]{17}$/);
    expect(st.indications).to.deep.equal(['NoReboot']);
    for (const snap of ownedObjects(s, s.namespace, m.metadata.name).snapshots) expect(snap.tags.get('env')).to.equal('prod');
  });
});
