// BundleInstance per profile (states, progress, upload policy, manifest and parts in S3), RegisterImage from
// a bundle, the S3 subset with presigned GET, and ImportVolume / conversion tasks.
import {
  BundleInstanceCommand, type BundleTask, CancelBundleTaskCommand, CancelConversionTaskCommand, DescribeBundleTasksCommand,
  DescribeConversionTasksCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeVolumesCommand, type EC2Client,
  ImportVolumeCommand, RegisterImageCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand,
  HeadObjectCommand, ListBucketsCommand, ListObjectsCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { presignGetV2, rejection, startTestSim, stopTestSim, TEST_KEY, type TestSim, until } from './helpers.ts';

function policy(bucket: string, prefix: string, secret = TEST_KEY.secretAccessKey, expiresInMs = 3600_000) {
  const json = JSON.stringify({
    conditions: [{ acl: 'ec2-bundle-read' }, { bucket }, ['starts-with', '$key', prefix]],
    expiration: new Date(Date.now() + expiresInMs).toISOString(),
  });
  const b64 = Buffer.from(json).toString('base64');
  return { UploadPolicy: Buffer.from(json), UploadPolicySignature: createHmac('sha1', secret).update(b64).digest('base64') };
}

async function instanceId(ec2: EC2Client, name: string): Promise<string> {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: [name] }] }));
  return out.Reservations![0]!.Instances![0]!.InstanceId!;
}

async function bundle(t: TestSim, name: string, bucket: string, prefix: string, p = policy(bucket, prefix)): Promise<BundleTask> {
  const out = await t.ec2.send(new BundleInstanceCommand({
    InstanceId: await instanceId(t.ec2, name),
    Storage: { S3: { Bucket: bucket, Prefix: prefix, AWSAccessKeyId: TEST_KEY.accessKeyId, ...p } },
  }));
  return out.BundleTask!;
}

async function finalTask(t: TestSim, bundleId: string, states: string[]): Promise<BundleTask> {
  return until(async () => {
    const d = await t.ec2.send(new DescribeBundleTasksCommand({ BundleIds: [bundleId] }));
    const task = d.BundleTasks![0]!;
    return states.includes(task.State!) ? task : undefined;
  });
}

describe('eucasim bundles, S3 and imports', () => {
  describe('eucalyptus-3.4', () => {
    let t: TestSim;
    before(async () => { t = await startTestSim('eucalyptus-3.4', { latency: { bundleStepMs: 30 }, bundle: { partSize: 16 * 1024 } }); });
    after(() => stopTestSim(t));

    it('bundles a Linux instance: pending → storing → complete, manifest and parts written', async () => {
      const task = await bundle(t, 'store-linux', 'test-bundles', 'linux-img');
      const id = await instanceId(t.ec2, 'store-linux');
      expect(task.BundleId).to.equal(id.replace('i-', 'bun-'));
      expect(task.State).to.equal('pending');
      expect(task.Progress).to.match(/^\d+$/);
      const seen = new Set<string>();
      const done = await until(async () => {
        const d = (await t.ec2.send(new DescribeBundleTasksCommand({ BundleIds: [task.BundleId!] }))).BundleTasks![0]!;
        seen.add(d.State!);
        return d.State === 'complete' ? d : undefined;
      });
      expect(done.Progress).to.equal('100');
      expect([...seen].every((s) => ['pending', 'storing', 'complete'].includes(s))).to.equal(true);
      const listed = await t.s3.send(new ListObjectsCommand({ Bucket: 'test-bundles', Prefix: 'linux-img' }));
      const keys = listed.Contents!.map((c) => c.Key);
      expect(keys).to.include('linux-img.manifest.xml');
      expect(keys.filter((k) => k!.startsWith('linux-img.part.'))).to.have.length(4);
      const manifest = await (await t.s3.send(new GetObjectCommand({ Bucket: 'test-bundles', Key: 'linux-img.manifest.xml' }))).Body!.transformToString();
      expect(manifest).to.contain('<parts count="4">').and.to.contain('<version>2007-10-10</version>');

      const reg = await t.ec2.send(new RegisterImageCommand({ Name: 'from-bundle', ImageLocation: 'test-bundles/linux-img.manifest.xml' }));
      const img = (await t.ec2.send(new DescribeImagesCommand({ ImageIds: [reg.ImageId!] }))).Images![0]!;
      expect(img.RootDeviceType).to.equal('instance-store');
      expect(img.ImageLocation).to.equal('test-bundles/linux-img.manifest.xml');
      await t.s3.send(new DeleteObjectCommand({ Bucket: 'test-bundles', Key: 'linux-img.part.2' }));
      const broken = await rejection(t.ec2.send(new RegisterImageCommand({ Name: 'broken-bundle', ImageLocation: 'test-bundles/linux-img.manifest.xml' })));
      expect(broken.message).to.contain('part linux-img.part.2 is missing');
    });

    it('fails the task when the policy is signed with the wrong secret or the bucket is missing', async () => {
      const bad = await bundle(t, 'store-windows', 'test-bundles', 'win-img', policy('test-bundles', 'win-img', 'wrong-secret'));
      const failed = await finalTask(t, bad.BundleId!, ['failed', 'complete']);
      expect(failed.State).to.equal('failed');
      expect(failed.BundleTaskError).to.equal(undefined);
      expect(t.sim.state.events.some((e) => e.type === 'bundle-failed' && e.detail?.includes('SignatureDoesNotMatch'))).to.equal(true);
      const noBucket = await bundle(t, 'store-windows', 'no-such-bucket', 'win-img');
      expect((await finalTask(t, noBucket.BundleId!, ['failed', 'complete'])).State).to.equal('failed');
    });

    it('answers bad names with the 3.4 leading-space code and cancels only pending/storing tasks', async () => {
      const err = await rejection(bundle(t, 'store-linux', 'x', 'prefix'));
      expect(err.name).to.equal(' InvalidParameterValue');
      const task = await bundle(t, 'ebs-linux', 'test-bundles', 'ebs-img');
      const cancel = await t.ec2.send(new CancelBundleTaskCommand({ BundleId: task.BundleId! }));
      expect(cancel.BundleTask!.State).to.equal('canceling');
      expect((await finalTask(t, task.BundleId!, ['cancelled', 'complete', 'failed'])).State).to.equal('cancelled');
      const again = await rejection(t.ec2.send(new CancelBundleTaskCommand({ BundleId: task.BundleId! })));
      expect(again.message).to.contain("Can't cancel bundle task when the bundle task is cancelled");
    });

    it('ImportVolume answers InternalError "Service not available"', async () => {
      const err = await rejection(t.ec2.send(new ImportVolumeCommand({
        AvailabilityZone: 'zone-a', Image: { Format: 'RAW', Bytes: 1, ImportManifestUrl: 'http://x/y' }, Volume: { Size: 1 },
      })));
      expect(err.name).to.equal('InternalError');
      expect(err.message).to.equal('Service not available');
      expect((await t.ec2.send(new DescribeConversionTasksCommand({}))).ConversionTasks).to.deep.equal([]);
    });
  });

  describe('eucalyptus-3.3 and aws bundle rules', () => {
    let t33: TestSim;
    let aws: TestSim;
    before(async () => {
      t33 = await startTestSim('eucalyptus-3.3');
      aws = await startTestSim('aws', { latency: { bundleStepMs: 20 } });
    });
    after(async () => { await stopTestSim(t33); await stopTestSim(aws); });

    it('3.3 bundles only Windows with a windows prefix', async () => {
      expect((await rejection(bundle(t33, 'store-linux', 'test-bundles', 'windows-x'))).message).to.contain("platform is not 'windows'");
      expect((await rejection(bundle(t33, 'store-windows', 'test-bundles', 'img-x'))).message).to.contain("start with 'windows'");
      const ok = await bundle(t33, 'store-windows', 'test-bundles', 'windows-img');
      expect((await finalTask(t33, ok.BundleId!, ['complete', 'failed'])).State).to.equal('complete');
    });

    it('aws walks pending → waiting-for-shutdown → bundling → storing → complete with NN% and error codes', async () => {
      expect((await rejection(bundle(aws, 'store-linux', 'test-bundles', 'lin'))).name).to.equal('UnsupportedOperation');
      const task = await bundle(aws, 'store-windows', 'test-bundles', 'win');
      const seen: string[] = [];
      const done = await until(async () => {
        const d = (await aws.ec2.send(new DescribeBundleTasksCommand({ BundleIds: [task.BundleId!] }))).BundleTasks![0]!;
        if (seen.at(-1) !== d.State) seen.push(d.State!);
        expect(d.Progress).to.match(/^\d+%$/);
        return d.State === 'complete' ? d : undefined;
      });
      expect(done.Progress).to.equal('100%');
      expect(seen.every((s) => ['pending', 'waiting-for-shutdown', 'bundling', 'storing', 'complete'].includes(s))).to.equal(true);
      const bad = await bundle(aws, 'store-windows', 'test-bundles', 'win2', policy('test-bundles', 'other-prefix'));
      const failed = await finalTask(aws, bad.BundleId!, ['failed', 'complete']);
      expect(failed.State).to.equal('failed');
      expect(failed.BundleTaskError!.Code).to.equal('AccessDenied');
      expect((await rejection(aws.ec2.send(new DescribeBundleTasksCommand({ BundleIds: ['bun-0000000000000000a'] })))).name).to.equal('InvalidBundleID.NotFound');
    });
  });

  describe('S3 subset and ImportVolume on eucalyptus-4.0', () => {
    let t: TestSim;
    before(async () => { t = await startTestSim('eucalyptus-4.0', { latency: { conversionMs: 30 } }); });
    after(() => stopTestSim(t));

    it('creates, lists, heads and deletes buckets and objects', async () => {
      await t.s3.send(new CreateBucketCommand({ Bucket: 'scratch' }));
      expect((await rejection(t.s3.send(new CreateBucketCommand({ Bucket: 'scratch' })))).name).to.equal('BucketAlreadyOwnedByYou');
      await t.s3.send(new HeadBucketCommand({ Bucket: 'scratch' }));
      for (const k of ['a/1', 'a/2', 'a/3', 'b/1']) await t.s3.send(new PutObjectCommand({ Bucket: 'scratch', Key: k, Body: `body ${k}` }));
      const page1 = await t.s3.send(new ListObjectsCommand({ Bucket: 'scratch', Prefix: 'a/', MaxKeys: 2 }));
      expect(page1.Contents!.map((c) => c.Key)).to.deep.equal(['a/1', 'a/2']);
      expect(page1.IsTruncated).to.equal(true);
      const page2 = await t.s3.send(new ListObjectsCommand({ Bucket: 'scratch', Prefix: 'a/', Marker: 'a/2' }));
      expect(page2.Contents!.map((c) => c.Key)).to.deep.equal(['a/3']);
      expect((await t.s3.send(new HeadObjectCommand({ Bucket: 'scratch', Key: 'b/1' }))).ContentLength).to.equal(8);
      expect((await rejection(t.s3.send(new GetObjectCommand({ Bucket: 'scratch', Key: 'nope' })))).name).to.equal('NoSuchKey');
      expect((await rejection(t.s3.send(new DeleteBucketCommand({ Bucket: 'scratch' })))).name).to.equal('BucketNotEmpty');
      const multi = await rejection(t.s3.send(new DeleteObjectsCommand({ Bucket: 'scratch', Delete: { Objects: ['a/1', 'a/2', 'a/3', 'b/1'].map((Key) => ({ Key })) } })));
      expect([multi.name, multi.$metadata?.httpStatusCode]).to.deep.equal(['NotImplemented', 501]);
      for (const Key of ['a/1', 'a/2', 'a/3', 'b/1']) await t.s3.send(new DeleteObjectCommand({ Bucket: 'scratch', Key }));
      await t.s3.send(new DeleteBucketCommand({ Bucket: 'scratch' }));
      const buckets = await t.s3.send(new ListBucketsCommand({}));
      expect(buckets.Buckets!.map((b) => b.Name)).to.deep.equal(['test-bundles']);
    });

    it('serves SigV2 query-authenticated GETs and refuses expired or tampered ones', async () => {
      await t.s3.send(new PutObjectCommand({ Bucket: 'test-bundles', Key: 'dir/file name.txt', Body: 'presigned!' }));
      const url = presignGetV2(t.sim.s3Url, 'test-bundles', 'dir/file name.txt', TEST_KEY, 60);
      const okResp = await fetch(url);
      expect([okResp.status, await okResp.text()]).to.deep.equal([200, 'presigned!']);
      const tampered = await fetch(url.replace('file%20name', 'file%20other'));
      expect(tampered.status).to.equal(403);
      expect(await tampered.text()).to.contain('SignatureDoesNotMatch');
      const old = presignGetV2(t.sim.s3Url, 'test-bundles', 'dir/file name.txt', TEST_KEY, 1, new Date(Date.now() - 10_000));
      const expired = await fetch(old);
      expect(expired.status).to.equal(403);
      expect(await expired.text()).to.contain('expired');
    });

    /** Raw disk parts plus an import manifest whose get-urls are SigV2 query-auth URLs (as euca-import-volume writes it). */
    async function stageImport(prefix: string, sizes: number[]): Promise<{ manifestUrl: string; bytes: number }> {
      let start = 0;
      const parts: string[] = [];
      for (const [i, size] of sizes.entries()) {
        const key = `${prefix}/disk.raw.part.${i}`;
        await t.s3.send(new PutObjectCommand({ Bucket: 'test-bundles', Key: key, Body: Buffer.alloc(size, i) }));
        const url = (k: string) => presignGetV2(t.sim.s3Url, 'test-bundles', k, TEST_KEY, 3600).replaceAll('&', '&amp;');
        parts.push(`<part index="${i}"><byte-range start="${start}" end="${start + size - 1}"/><key>${key}</key>`
          + `<head-url>${url(key)}</head-url><get-url>${url(key)}</get-url><delete-url>${url(key)}</delete-url></part>`);
        start += size;
      }
      const manifest = `<?xml version="1.0"?><manifest><version>2010-11-15</version><file-format>RAW</file-format>`
        + `<importer><name>euca-import-volume</name><version>3.1.0</version><release>1</release></importer>`
        + `<import><size>${start}</size><volume-size>1</volume-size><parts count="${sizes.length}">${parts.join('')}</parts></import></manifest>`;
      await t.s3.send(new PutObjectCommand({ Bucket: 'test-bundles', Key: `${prefix}/disk.raw.manifest.xml`, Body: manifest }));
      return { manifestUrl: presignGetV2(t.sim.s3Url, 'test-bundles', `${prefix}/disk.raw.manifest.xml`, TEST_KEY, 600), bytes: start };
    }

    async function importEnd(url: string, bytes: number) {
      const out = await t.ec2.send(new ImportVolumeCommand({
        AvailabilityZone: 'zone-a', Image: { Format: 'raw' as 'RAW', Bytes: bytes, ImportManifestUrl: url }, Volume: { Size: 1 },
      }));
      const id = out.ConversionTask!.ConversionTaskId!;
      expect(id).to.match(/^import-vol-[0-9A-F]{8}$/);
      expect(out.ConversionTask!.State).to.equal('active');
      const done = await until(async () => {
        const d = (await t.ec2.send(new DescribeConversionTasksCommand({ ConversionTaskIds: [id] }))).ConversionTasks![0]!;
        return d.State !== 'active' ? d : undefined;
      });
      return { id, done };
    }

    it('imports a volume from an import manifest of raw disk parts: active → completed with a new volume', async () => {
      const staged = await stageImport('imp-ok', [4096, 4096, 1000]);
      const { done } = await importEnd(staged.manifestUrl, staged.bytes);
      expect(done.State).to.equal('completed');
      const volumeId = done.ImportVolume!.Volume!.Id!;
      expect((await t.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes![0]!.Size).to.equal(1);
      const small = await rejection(t.ec2.send(new ImportVolumeCommand({
        AvailabilityZone: 'zone-a', Image: { Format: 'RAW', Bytes: 5 * 1024 ** 3, ImportManifestUrl: staged.manifestUrl }, Volume: { Size: 1 },
      })));
      expect(small.name).to.equal('InvalidParameterValue');
    });

    it('fails the task for a bundle manifest ("Base manifest does not have size element"), a missing part or an unsigned URL', async () => {
      const task = await bundle(t, 'store-linux', 'test-bundles', 'imp');
      await finalTask(t, task.BundleId!, ['complete']);
      const bundleUrl = presignGetV2(t.sim.s3Url, 'test-bundles', 'imp.manifest.xml', TEST_KEY, 600);
      const fromBundle = await importEnd(bundleUrl, 10 * 1024);
      expect([fromBundle.done.State, fromBundle.done.StatusMessage]).to.deep.equal(['cancelled', 'failed (internal server error)']);
      expect(t.sim.state.events.some((e) => e.type === 'conversion-failed' && e.detail === 'Base manifest does not have size element')).to.equal(true);

      const staged = await stageImport('imp-gone', [2048, 2048]);
      await t.s3.send(new DeleteObjectCommand({ Bucket: 'test-bundles', Key: 'imp-gone/disk.raw.part.1' }));
      const gone = await importEnd(staged.manifestUrl, staged.bytes);
      expect(gone.done.State).to.equal('cancelled');
      expect(t.sim.state.events.some((e) => e.type === 'conversion-failed' && /part 1 .* is missing/.test(e.detail ?? ''))).to.equal(true);

      const unsigned = await importEnd(`${t.sim.s3Url}/test-bundles/imp-ok/disk.raw.manifest.xml`, 9192);
      expect(unsigned.done.State).to.equal('cancelled');
    });

    it('cancels an active conversion task', async () => {
      t.sim.state.latency = { ...t.sim.state.latency, conversionMs: 60_000 };
      const staged = await stageImport('imp-cancel', [1024]);
      const out = await t.ec2.send(new ImportVolumeCommand({
        AvailabilityZone: 'zone-a', Image: { Format: 'VMDK', Bytes: 1024, ImportManifestUrl: staged.manifestUrl }, Volume: { Size: 1 },
      }));
      const id = out.ConversionTask!.ConversionTaskId!;
      await t.ec2.send(new CancelConversionTaskCommand({ ConversionTaskId: id }));
      expect((await t.ec2.send(new DescribeConversionTasksCommand({ ConversionTaskIds: [id] }))).ConversionTasks![0]!.State).to.equal('cancelling');
      t.sim.advance();
      expect((await t.ec2.send(new DescribeConversionTasksCommand({ ConversionTaskIds: [id] }))).ConversionTasks![0]!.State).to.equal('cancelled');
    });
  });
});
