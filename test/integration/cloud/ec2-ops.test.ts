// Each ec2.ts / s3.ts operation against eucasim over real HTTP with real SigV4, on the Eucalyptus 3.4 and AWS
// profiles.
import { expect } from 'chai';
import type { Instance } from '@aws-sdk/client-ec2';
import * as ec2 from '../../../src/cloud/ec2.ts';
import * as s3 from '../../../src/cloud/s3.ts';
import { CloudError } from '../../../src/cloud/errors.ts';
import type { CloudGateway } from '../../../src/cloud/gateway.ts';
import { buildUploadPolicy, signUploadPolicy } from '../../../src/cloud/upload-policy.ts';
import { defaultCapabilities } from '../../../src/cloud/capabilities.ts';
import { ACCESS_KEY, SECRET_KEY, allInstances, gatewayFor, startSim, waitFor, type Sim, type SimProfile } from './sim-gateway.ts';

const OWNER = 'team-a/capture-1/0f1e2d3c-uid';

async function expectCloudError(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(CloudError);
    return err as CloudError;
  }
  throw new Error('expected a CloudError');
}

for (const profile of ['eucalyptus-3.4', 'aws'] as SimProfile[]) {
  describe(`cloud ec2/s3 operations against eucasim (${profile})`, function () {
    this.timeout(60_000);
    let sim: Sim;
    let gw: CloudGateway;
    let instances: Instance[];
    const dialect = profile === 'aws' ? 'aws' : 'eucalyptus';

    before(async () => {
      sim = await startSim(profile);
      // The S3 signature as detection would find it (detection itself is tested in gateway.test.ts).
      gw = gatewayFor(sim, { s3Signature: sim.state.profile.s3Signatures.includes('v4') ? 'v4' : 'v2' });
      gw.capabilities = defaultCapabilities(dialect);
      instances = await allInstances(gw);
    });
    after(async () => {
      gw?.destroy();
      await sim?.close();
    });

    const running = (pred: (i: Instance) => boolean): Instance => {
      const i = instances.find((x) => x.State?.Name === 'running' && pred(x));
      if (!i) throw new Error(`fixture has no running instance matching the test's needs (${profile})`);
      return i;
    };
    const ebsInstance = () => running((i) => i.RootDeviceType === 'ebs');
    const storeInstance = (platform: 'linux' | 'windows') => running((i) => i.RootDeviceType !== 'ebs'
      && (platform === 'windows') === ((i.Platform ?? '').toLowerCase() === 'windows'));

    it('describeInstance returns the instance with its attached volumes in one call; unknown id -> undefined', async () => {
      const src = ebsInstance();
      const info = await ec2.describeInstance(gw, src.InstanceId!);
      expect(info).to.not.equal(undefined);
      expect(info!.rootDeviceType).to.equal('ebs');
      expect(info!.state).to.equal('running');
      expect(info!.rootDeviceName).to.be.a('string');
      expect(info!.volumes.length).to.be.greaterThan(0);
      expect(info!.volumes.every((v) => v.volumeId && typeof v.deleteOnTermination === 'boolean')).to.equal(true);
      expect(info!.volumes.map((v) => v.deviceName)).to.include(info!.rootDeviceName);
      const unknown = profile === 'aws' ? 'i-0123456789abcdef0' : 'i-DEADBEEF';
      expect(await ec2.describeInstance(gw, unknown)).to.equal(undefined);
    });

    it('rebootInstance succeeds on a running instance', async () => {
      await ec2.rebootInstance(gw, ebsInstance().InstanceId!);
    });

    it('snapshots: create (tags per capability), describe until completed, find by owner tag, delete', async () => {
      const info = (await ec2.describeInstance(gw, ebsInstance().InstanceId!))!;
      const vol = info.volumes[0]!;
      const snap = await ec2.createSnapshot(gw, { volumeId: vol.volumeId, description: 'it', tags: { 'imaging.eucalyptus.dev/owner': OWNER, team: 'a' } });
      expect(snap.snapshotId).to.match(/^snap-/);
      const done = await waitFor('snapshot completed', async () => {
        const [s] = await ec2.describeSnapshots(gw, [snap.snapshotId]);
        return s?.state === 'completed' ? s : undefined;
      });
      expect(done.progress).to.equal(100);
      expect(done.tags).to.include({ team: 'a' });
      const found = await ec2.findSnapshotsByOwner(gw, OWNER);
      expect(found.map((s) => s.snapshotId)).to.include(snap.snapshotId);
      expect(await ec2.findSnapshotsByOwner(gw, 'someone/else/uid')).to.deep.equal([]);
      await ec2.deleteSnapshot(gw, snap.snapshotId);
      await ec2.deleteSnapshot(gw, snap.snapshotId); // already gone: still fine
      const err = await expectCloudError(ec2.describeSnapshots(gw, [snap.snapshotId]));
      expect(err.kind).to.equal('notFound');
      const tagOnCreateUsed = sim.log.entries('CreateSnapshot').some((e) => Object.keys(e.params).some((k) => k.startsWith('TagSpecification')));
      expect(tagOnCreateUsed).to.equal(profile === 'aws');
    });

    it('images: createImage, describe, find by name and owner, registerImage (EBS form), deregister', async () => {
      const src = ebsInstance();
      const name = `it-${profile.replace('.', '')}-create`;
      const imageId = await ec2.createImage(gw, { instanceId: src.InstanceId!, name, description: 'integration', noReboot: true,
        tags: { 'imaging.eucalyptus.dev/owner': OWNER } });
      expect(imageId).to.match(profile === 'aws' ? /^ami-/ : /^emi-/);
      const [img] = await ec2.describeImages(gw, [imageId!]);
      expect(img!.name).to.equal(name);
      expect(['pending', 'available']).to.include(img!.state);
      expect((await ec2.findImageByName(gw, name))?.imageId).to.equal(imageId);
      expect(await ec2.findImageByName(gw, 'no-such-image-name')).to.equal(undefined);
      expect((await ec2.findImagesByOwner(gw, OWNER)).map((i) => i.imageId)).to.include(imageId);

      const info = (await ec2.describeInstance(gw, src.InstanceId!))!;
      const root = info.volumes.find((v) => v.deviceName === info.rootDeviceName)!;
      const snap = await ec2.createSnapshot(gw, { volumeId: root.volumeId, tags: { 'imaging.eucalyptus.dev/owner': OWNER } });
      await waitFor('root snapshot', async () => (await ec2.describeSnapshots(gw, [snap.snapshotId]))[0]?.state === 'completed');
      const regId = await ec2.registerImage(gw, {
        name: `it-${profile.replace('.', '')}-register`, architecture: 'x86_64', rootDeviceName: info.rootDeviceName!,
        blockDeviceMappings: [{ deviceName: info.rootDeviceName!, ebs: { snapshotId: snap.snapshotId, deleteOnTermination: true } }],
        tags: { 'imaging.eucalyptus.dev/owner': OWNER },
      });
      const [reg] = await ec2.describeImages(gw, [regId]);
      expect(reg!.blockDeviceMappings.find((b) => b.deviceName === info.rootDeviceName)?.snapshotId).to.equal(snap.snapshotId);
      await ec2.deregisterImage(gw, regId);
      await ec2.deregisterImage(gw, regId);
      const after = await ec2.describeImages(gw, [regId]).catch((e: CloudError) => e);
      if (after instanceof CloudError) expect(after.kind).to.equal('notFound');
      else expect(after.every((i) => i.state === 'deregistered')).to.equal(true);
    });

    it('createImage with a malformed name is a terminal error', async () => {
      const err = await expectCloudError(ec2.createImage(gw, { instanceId: ebsInstance().InstanceId!, name: 'x' }));
      expect(err.kind).to.equal('terminal');
      expect(err.code).to.match(/InvalidAMIName|InvalidParameter/);
    });

    it('bundles: ensure bucket, signed upload policy, bundleInstance, describe until complete, list and delete objects', async () => {
      const src = storeInstance(profile === 'aws' ? 'windows' : 'linux');
      const bucket = `it-bundles-${profile.replace('.', '')}`;
      expect(await s3.bucketExists(gw, bucket)).to.equal(false);
      const terminal = await expectCloudError(s3.ensureBucket(gw, bucket, false));
      expect(terminal.kind).to.equal('terminal');
      expect(await s3.ensureBucket(gw, bucket, true)).to.equal('created');
      expect(await s3.ensureBucket(gw, bucket, true)).to.equal('exists');
      const prefix = 'img-one';
      const policy = buildUploadPolicy({ bucket, prefix, expiresAt: new Date(Date.now() + 3600_000) });
      const signed = signUploadPolicy(policy, SECRET_KEY);
      const task = await ec2.bundleInstance(gw, { instanceId: src.InstanceId!, bucket, prefix, accessKeyId: ACCESS_KEY,
        uploadPolicy: policy, signature: signed.signature });
      expect(task.bundleId).to.match(/^bun-/);
      // The wire carries base64(policy JSON), as the cloud expects.
      const sent = sim.log.entries('BundleInstance').at(-1)!;
      expect(sent.params['Storage.S3.UploadPolicy']).to.equal(signed.policyBase64);
      const done = await waitFor('bundle complete', async () => {
        const [t] = await ec2.describeBundleTasks(gw, [task.bundleId]);
        return t && (t.state === 'complete' || t.state === 'failed') ? t : undefined;
      });
      expect(done.state).to.equal('complete');
      expect(done.progress).to.equal(100);
      expect(done.manifestLocation).to.equal(`${bucket}/${prefix}.manifest.xml`);
      const objects = await s3.listObjects(gw, bucket, prefix);
      expect(objects.map((o) => o.key)).to.include(`${prefix}.manifest.xml`);
      expect(await s3.deleteObjects(gw, bucket, objects.map((o) => o.key))).to.equal(objects.length);
      expect(await s3.listObjects(gw, bucket, prefix)).to.deep.equal([]);
    });

    it('cancelBundleTask moves a running bundle to cancelling/cancelled', async () => {
      const src = storeInstance(profile === 'aws' ? 'windows' : 'linux');
      const bucket = `it-cancel-${profile.replace('.', '')}`;
      await s3.ensureBucket(gw, bucket, true);
      const prefix = 'img-cancel';
      const policy = buildUploadPolicy({ bucket, prefix, expiresAt: new Date(Date.now() + 3600_000) });
      // With zero latency the task may finish before the cancel arrives: both answers are correct.
      const task = await ec2.bundleInstance(gw, { instanceId: src.InstanceId!, bucket, prefix, accessKeyId: ACCESS_KEY,
        uploadPolicy: policy, signature: signUploadPolicy(policy, SECRET_KEY).signature });
      const cancelled = await ec2.cancelBundleTask(gw, task.bundleId).catch((e: CloudError) => e);
      if (cancelled instanceof CloudError) {
        expect(cancelled.kind).to.equal('terminal'); // already finished: "Can't cancel bundle task when ..."
      } else {
        expect(['cancelling', 'cancelled']).to.include(cancelled!.state);
      }
    });

    it('volumes: describeVolumes, findVolumesByOwner, deleteVolume of a gone volume is fine', async () => {
      const info = (await ec2.describeInstance(gw, ebsInstance().InstanceId!))!;
      const vols = await ec2.describeVolumes(gw, info.volumes.map((v) => v.volumeId));
      expect(vols.map((v) => v.volumeId).sort()).to.deep.equal(info.volumes.map((v) => v.volumeId).sort());
      await ec2.createTags(gw, [vols[0]!.volumeId], { 'imaging.eucalyptus.dev/owner': OWNER });
      expect((await ec2.findVolumesByOwner(gw, OWNER)).map((v) => v.volumeId)).to.include(vols[0]!.volumeId);
      await ec2.deleteVolume(gw, profile === 'aws' ? 'vol-0123456789abcdef0' : 'vol-DEADBEEF');
    });
  });
}
