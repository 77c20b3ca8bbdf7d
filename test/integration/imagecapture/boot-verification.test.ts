// Boot verification against eucasim: an image that boots (running, console pattern), one that never reaches
// running, and an operator SIGKILLed while the test instance runs; no test instance is ever left behind.
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { BOOT_VERIFIED_TAG } from '../../../src/api/constants.ts';
import type { Condition } from '../../../src/api/types.ts';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { calls, captureManifest, seedInstance } from './helpers.ts';

type Obj = { status?: { phase?: string; imageId?: string; bootCheck?: { instanceId?: string; result?: string; terminated?: boolean }; conditions?: Condition[] } };

/** Every instance ever launched from the image, with its state. */
function launchedFrom(s: Scenario, imageId: string) {
  return [...s.sim.state.instances.values()].filter((i) => i.imageId === imageId).map((i) => ({ id: i.id, state: i.state }));
}

async function killAfter(s: Scenario, child: ChildProcess, action: string): Promise<void> {
  await waitFor(async () => calls(s, action) >= 1, { timeoutMs: 60_000, intervalMs: 1, message: `${action} to be called` });
  child.kill('SIGKILL');
  await waitFor(async () => child.exitCode !== null || child.signalCode !== null, { timeoutMs: 10_000, intervalMs: 20, message: 'operator to die' });
}

async function allTerminated(s: Scenario, imageId: string): Promise<void> {
  await waitFor(() => launchedFrom(s, imageId).every((i) => i.state === 'terminated' || i.state === 'shutting-down'), { timeoutMs: 30_000, intervalMs: 100, message: `test instances of ${imageId} terminated; have ${JSON.stringify(launchedFrom(s, imageId))}` });
}

describe('ImageCapture boot verification', function () {
  this.timeout(180_000);
  let s: Scenario;
  afterEach(async () => s?.close());

  it('passes: the test instance reaches running and prints the pattern, is terminated, and the image is tagged', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', sim: { latency: { instanceMs: 300 } } });
    const inst = seedInstance(s);
    const m = captureManifest(s, inst.id, { bootVerification: { instanceType: 'm1.large', availabilityZone: 'euca-zone-2', consoleOutputPattern: '^i-[0-9A-F]{8} login:' } });
    await s.create('imagecaptures', m);
    const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as Obj;
    const st = done.status!;
    expect(st.phase).to.equal('Available');
    expect(st.conditions!.find((c) => c.type === 'BootVerified')).to.deep.include({ status: 'True', reason: 'Succeeded' });
    expect(st.bootCheck).to.deep.include({ result: 'Passed', terminated: true });
    const launched = [...s.sim.state.instances.values()].filter((i) => i.imageId === st.imageId);
    expect(launched).to.have.length(1);
    expect(launched[0]!.instanceType).to.equal('m1.large');
    expect(launched[0]!.availabilityZone).to.equal('euca-zone-2');
    await allTerminated(s, st.imageId!);
    expect(s.sim.state.images.get(st.imageId!)!.tags.get(BOOT_VERIFIED_TAG)).to.equal('true');
    expect(calls(s, 'RunInstances')).to.equal(1);
    expect(calls(s, 'GetConsoleOutput')).to.be.at.least(1);
  });

  it('fails: an image whose instance never reaches running fails the capture, keeps the image tagged false, and leaves no instance', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
    s.sim.faults.set({ neverRunning: { count: 1, actions: ['RunInstances'] } });
    const inst = seedInstance(s);
    const m = captureManifest(s, inst.id, { bootVerification: { timeout: '3s' } });
    await s.create('imagecaptures', m);
    const failed = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled') as Obj;
    const st = failed.status!;
    expect(st.phase).to.equal('Failed');
    expect(st.conditions!.find((c) => c.type === 'Stalled')).to.deep.include({ reason: 'BootVerificationFailed' });
    expect(st.conditions!.find((c) => c.type === 'BootVerified')!.message).to.match(/did not reach running within 3s \(still pending\)/);
    expect(st.bootCheck).to.deep.include({ result: 'Failed', terminated: true });
    await allTerminated(s, st.imageId!);
    expect(s.sim.state.images.get(st.imageId!)?.state).to.equal('available');
    expect(s.sim.state.images.get(st.imageId!)!.tags.get(BOOT_VERIFIED_TAG)).to.equal('false');
  });

  it('SIGKILL while the test instance boots: the restarted operator adopts it (same client token), finishes, and terminates it', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false, sim: { latency: { instanceMs: 3_000 } } });
    const inst = seedInstance(s);
    const m = captureManifest(s, inst.id, { noReboot: true, bootVerification: {} });
    const first = s.startOperatorProcess();
    await s.create('imagecaptures', m);
    await killAfter(s, first, 'RunInstances');
    const second = s.startOperatorProcess();
    try {
      const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 120_000) as Obj;
      const imageId = done.status!.imageId!;
      expect(launchedFrom(s, imageId), 'one test instance, adopted after the crash').to.have.length(1);
      await allTerminated(s, imageId);
    } finally {
      second.kill('SIGKILL');
    }
  });

  it('SIGKILL, then the capture is deleted while the operator is down: the next operator terminates the test instance', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false, sim: { latency: { instanceMs: 60_000 } } });
    const inst = seedInstance(s);
    const m = captureManifest(s, inst.id, { noReboot: true, bootVerification: {} });
    const first = s.startOperatorProcess();
    await s.create('imagecaptures', m);
    await killAfter(s, first, 'RunInstances');
    const imageId = [...s.sim.state.instances.values()].find((i) => i.clientToken?.startsWith('eio-boot-'))!.imageId;
    await s.remove('imagecaptures', m.metadata.name);
    const second = s.startOperatorProcess();
    try {
      await s.waitGone('imagecaptures', m.metadata.name, 60_000);
      expect(launchedFrom(s, imageId)).to.have.length(1);
      await allTerminated(s, imageId);
    } finally {
      second.kill('SIGKILL');
    }
  });
});
