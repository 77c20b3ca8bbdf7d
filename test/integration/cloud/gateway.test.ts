// Gateway behaviour over real HTTP against eucasim: API Version override, error classes, throttling, batched
// polling cost, capability detection per profile.
import { expect } from 'chai';
import { CreateSnapshotCommand, DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { CloudError } from '../../../src/cloud/errors.ts';
import { detectCapabilities } from '../../../src/cloud/capabilities.ts';
import { snapshotPoller } from '../../../src/cloud/pollers.ts';
import { CloudRegistry } from '../../../src/cloud/registry.ts';
import { LOOPBACK_ALLOWED, allInstances, gatewayFor, settingsFor, startSim, type Sim, type SimProfile } from './sim-gateway.ts';

describe('cloud gateway against eucasim (eucalyptus-3.4)', function () {
  this.timeout(60_000);
  let sim: Sim;
  before(async () => {
    sim = await startSim('eucalyptus-3.4');
  });
  after(async () => {
    await sim?.close();
  });

  it('sends the configured API Version, signed (the cloud accepts it)', async () => {
    const calls: string[] = [];
    const gw = gatewayFor(sim, { apiVersion: '2013-08-15' }, { onCall: (a, o) => calls.push(`${a}:${o}`) });
    try {
      await gw.send(new DescribeAvailabilityZonesCommand({}));
      const entry = sim.log.entries('DescribeAvailabilityZones').at(-1)!;
      expect(entry.params.Version).to.equal('2013-08-15');
      expect(entry.status).to.equal(200);
      expect(calls).to.deep.equal(['DescribeAvailabilityZones:success']);
    } finally {
      gw.destroy();
    }
    const plain = gatewayFor(sim);
    try {
      await plain.send(new DescribeAvailabilityZonesCommand({}));
      expect(sim.log.entries('DescribeAvailabilityZones').at(-1)!.params.Version).to.not.equal('2013-08-15');
    } finally {
      plain.destroy();
    }
  });

  it('wrong credentials -> auth class', async () => {
    const outcomes: string[] = [];
    const gw = gatewayFor(sim, { credentials: { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'wrong' } },
      { onCall: (_a, o) => outcomes.push(o) });
    const unknownKey = gatewayFor(sim, { credentials: { accessKeyId: 'AKIDNOSUCHKEY0000000', secretAccessKey: 'x' } });
    try {
      for (const g of [gw, unknownKey]) {
        const err = await g.send(new DescribeAvailabilityZonesCommand({})).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(CloudError);
        expect((err as CloudError).kind).to.equal('auth');
      }
      expect(outcomes).to.deep.equal(['auth']);
    } finally {
      gw.destroy();
      unknownKey.destroy();
    }
  });

  it('injected throttling -> throttled class, and the limiter slows the cloud down', async () => {
    const gw = gatewayFor(sim, { rateLimit: { qps: 50, burst: 5 } }, { throttlePauseMs: 200 });
    try {
      sim.faults.set({ throttle: { count: 1, actions: ['DescribeAvailabilityZones'] } });
      const err = await gw.send(new DescribeAvailabilityZonesCommand({})).catch((e: unknown) => e);
      expect((err as CloudError).kind).to.equal('throttled');
      expect(gw.limiter.effectiveQps).to.be.below(50);
      const t0 = performance.now();
      await gw.send(new DescribeAvailabilityZonesCommand({}));
      const waited = performance.now() - t0;
      expect(waited).to.be.at.least(150); // the pause held the next call back
      console.log(`      throttle: effective rate ${gw.limiter.effectiveQps.toFixed(1)}/50 qps, next call waited ${waited.toFixed(0)} ms`);
    } finally {
      sim.faults.clear(['throttle']);
      gw.destroy();
    }
  });

  it('300 watched snapshots cost 2 DescribeSnapshots calls per tick', async () => {
    const gw = gatewayFor(sim, { rateLimit: { qps: 1000, burst: 1000 } });
    const woken = new Set<string>();
    const poller = snapshotPoller(gw, { onChange: (k) => woken.add(k), minIntervalMs: 10_000 });
    try {
      const inst = (await allInstances(gw)).find((i) => i.RootDeviceType === 'ebs')!;
      const volumeId = inst.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) {
        const out = await gw.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: `batch ${i}` }));
        ids.push(out.SnapshotId!);
      }
      ids.forEach((id, i) => poller.watch(id, `ns/cap-${i}`));
      const before = sim.log.count('DescribeSnapshots');
      await poller.tick();
      expect(sim.log.count('DescribeSnapshots') - before).to.equal(2);
      expect(woken.size).to.equal(300);
      const before2 = sim.log.count('DescribeSnapshots');
      await poller.tick();
      expect(sim.log.count('DescribeSnapshots') - before2).to.equal(2);
      expect(ids.every((id) => poller.get(id) !== undefined)).to.equal(true);
    } finally {
      poller.stop();
      gw.destroy();
    }
  });

  it('the registry caches a gateway per cloud and rebuilds it when settings change', async () => {
    const registry = new CloudRegistry({ gateway: { endpointPolicy: LOOPBACK_ALLOWED } });
    try {
      const a = registry.get(settingsFor(sim));
      expect(registry.get(settingsFor(sim))).to.equal(a);
      const b = registry.get(settingsFor(sim, { rateLimit: { qps: 7, burst: 7 } }));
      expect(b).to.not.equal(a);
      const r = await registry.detect('test/sim');
      expect(registry.capabilities('test/sim')).to.deep.equal(r.capabilities);
      expect(b.capabilities).to.deep.equal(r.capabilities);
      // The snapshot poller shares the gateway: it reaches the cloud through it.
      const snaps = registry.pollers('test/sim', () => {}).snapshots;
      expect(snaps.kind).to.equal('snapshots');
    } finally {
      registry.close();
    }
  });
});

const EXPECTED: Record<SimProfile, Record<string, unknown>> = {
  'eucalyptus-3.3': { dialect: 'eucalyptus', createImage: false, bundleLinux: false, tagOnCreate: false, s3Signature: 'v2' },
  'eucalyptus-3.4': { dialect: 'eucalyptus', createImage: true, bundleLinux: true, tagOnCreate: false, s3Signature: 'v2' },
  'eucalyptus-4.0': { dialect: 'eucalyptus', createImage: true, bundleLinux: true, tagOnCreate: false, s3Signature: 'v2' },
  'eucalyptus-4.4': { dialect: 'eucalyptus', createImage: true, bundleLinux: true, tagOnCreate: false, s3Signature: 'v4' },
  aws: { dialect: 'aws', createImage: true, bundleLinux: false, tagOnCreate: true, bundleEbs: false, s3Signature: 'v4' },
};

describe('cloud capability detection per profile', function () {
  this.timeout(60_000);
  for (const profile of Object.keys(EXPECTED) as SimProfile[]) {
    it(`detects ${profile}`, async () => {
      const sim = await startSim(profile);
      const gw = gatewayFor(sim);
      try {
        const objects = () => [sim.state.conversionTasks.size, sim.state.volumes.size, sim.state.snapshots.size,
          sim.state.images.size, sim.state.bundleTasks.size].join(',');
        const before = objects();
        const { capabilities, evidence } = await detectCapabilities(gw);
        expect(capabilities, evidence.join('\n')).to.include(EXPECTED[profile]);
        // Probes never mutate: no new objects.
        expect(objects()).to.equal(before);
        console.log(`      ${profile}: ${JSON.stringify(capabilities)}`);
      } finally {
        gw.destroy();
        await sim.close();
      }
    });
  }

  it('spec.capabilities overrides win', async () => {
    const sim = await startSim('eucalyptus-3.4');
    const gw = gatewayFor(sim, { capabilities: { bundleEbs: false, createImage: false } });
    try {
      const { capabilities } = await detectCapabilities(gw);
      expect(capabilities).to.include({ bundleEbs: false, createImage: false, dialect: 'eucalyptus' });
    } finally {
      gw.destroy();
      await sim.close();
    }
  });

  it('the ImageCapture run-time lesson sticks: registry.learn', async () => {
    const sim = await startSim('eucalyptus-3.4');
    const registry = new CloudRegistry({ gateway: { endpointPolicy: LOOPBACK_ALLOWED } });
    try {
      registry.get(settingsFor(sim));
      await registry.detect('test/sim');
      registry.learn('test/sim', { createImage: false });
      expect(registry.capabilities('test/sim')?.createImage).to.equal(false);
      expect(registry.lookup('test/sim')?.capabilities?.createImage).to.equal(false);
    } finally {
      registry.close();
      await sim.close();
    }
  });
});
