// The staging cleanup helper (controllers/shared/staging-cleanup.ts) on a ViaBundle capture stopped mid-way:
// it cancels the running bundle task or import, waits (reports pending) until the cloud has finished
// cancelling, then deletes the imported volume and the staged objects.
import { expect } from 'chai';
import type { ImageCapture } from '../../../src/api/types.ts';
import { CloudGateway } from '../../../src/cloud/gateway.ts';
import { cleanUpStaging } from '../../../src/controllers/shared/staging-cleanup.ts';
import { waitFor } from '../../env/index.ts';
import { DEMO_KEY, startScenario, type Scenario } from '../support/scenario.ts';
import { BUNDLE_FIXTURES, bundleObjects, seed, tasksOf, waitForStatus } from '../instancebundle/helpers.ts';
import { captureOf, stagingBucket } from './helpers.ts';

describe('ViaBundle staging cleanup', function () {
  this.timeout(120_000);
  let s: Scenario;
  let gw: CloudGateway;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-4.0', fixtures: BUNDLE_FIXTURES });
    gw = new CloudGateway({ id: 'staging-test', ec2Endpoint: s.sim.url, s3Endpoint: s.sim.s3Url, region: 'eucalyptus', credentials: DEMO_KEY, rateLimit: { qps: 100, burst: 100 }, s3Signature: 'v2' });
  });
  after(async () => {
    gw?.destroy();
    await s?.close();
  });

  /** Runs the helper until nothing is pending; returns everything it deleted. */
  async function cleanUntilDone(obj: ImageCapture): Promise<string[]> {
    const deleted: string[] = [];
    await waitFor(async () => {
      const r = await cleanUpStaging(gw, obj);
      deleted.push(...r.deleted);
      return r.pending.length === 0;
    }, { timeoutMs: 30_000, intervalMs: 200, message: 'staging cleanup to finish' });
    return deleted;
  }

  it('cancels a running bundle task, then removes nothing else', async () => {
    s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 5_000 };
    try {
      const inst = seed(s);
      const m = captureOf(s, inst.id, { strategy: 'ViaBundle' });
      await s.create('imagecaptures', m);
      await waitForStatus(s, 'imagecaptures', m.metadata.name, (st) => typeof st['bundleId'] === 'string');
      await s.operator!.stop();
      const obj = (await s.get<ImageCapture>('imagecaptures', m.metadata.name))!;
      await cleanUntilDone(obj);
      expect(tasksOf(s, inst.id)[0]!.phase).to.equal('cancelled');
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, bundleStepMs: 0 };
      s.operator = undefined;
      await s.startOperator();
    }
  });

  it('cancels an active import, then deletes the staged bundle', async () => {
    s.sim.state.latency = { ...s.sim.state.latency, conversionMs: 5_000 };
    try {
      const inst = seed(s);
      const m = captureOf(s, inst.id, { strategy: 'ViaBundle' });
      await s.create('imagecaptures', m);
      const st = await waitForStatus(s, 'imagecaptures', m.metadata.name, (x) => typeof x['conversionTaskId'] === 'string');
      await s.operator!.stop();
      const obj = (await s.get<ImageCapture>('imagecaptures', m.metadata.name))!;
      const prefix = `eio-${obj.metadata!.uid}`;
      expect(bundleObjects(s, stagingBucket(s), prefix)).to.include(`${prefix}.manifest.xml`);
      const deleted = await cleanUntilDone(obj);
      expect(s.sim.state.conversionTasks.get(st['conversionTaskId'] as string)!.state).to.equal('cancelled');
      expect(bundleObjects(s, stagingBucket(s), prefix)).to.deep.equal([]);
      expect(deleted).to.include(`${stagingBucket(s)}/${prefix}.manifest.xml`);
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, conversionMs: 0 };
      s.operator = undefined;
      await s.startOperator();
    }
  });

  it('deletes the untagged volume of an import that finished after the operator stopped', async () => {
    s.sim.state.latency = { ...s.sim.state.latency, conversionMs: 1_000 };
    try {
      const inst = seed(s);
      const m = captureOf(s, inst.id, { strategy: 'ViaBundle', staging: { bucket: 'bundles', prefix: 'untagged-import', keepObjects: true } });
      await s.create('imagecaptures', m);
      const st = await waitForStatus(s, 'imagecaptures', m.metadata.name, (x) => typeof x['conversionTaskId'] === 'string');
      await s.operator!.stop();
      const task = s.sim.state.conversionTasks.get(st['conversionTaskId'] as string)!;
      await waitFor(async () => {
        s.sim.advance();
        return task.state === 'completed';
      }, { timeoutMs: 10_000, intervalMs: 100, message: 'the import to complete' });
      const volumeId = task.volumeId!;
      expect(s.sim.state.volumes.get(volumeId)!.tags.size, 'never tagged').to.equal(0);
      const obj = (await s.get<ImageCapture>('imagecaptures', m.metadata.name))!;
      const deleted = await cleanUntilDone(obj);
      expect(deleted).to.include(volumeId);
      expect(s.sim.state.volumes.get(volumeId)?.status ?? 'deleted').to.equal('deleted');
      expect(bundleObjects(s, 'bundles', 'untagged-import'), 'keepObjects keeps the staged bundle').to.include('untagged-import.manifest.xml');
    } finally {
      s.sim.state.latency = { ...s.sim.state.latency, conversionMs: 0 };
      s.operator = undefined;
      await s.startOperator();
    }
  });
});
