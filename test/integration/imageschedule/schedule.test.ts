// ImageSchedule against the real API server and eucasim, on a test clock the tests move: runs, retention by
// count and age (Delete and Retain), failed runs, every concurrency policy, suspend/resume, missed runs after an
// outage, tag selection as instances come and go, invalid specs, and the kstatus / Argo CD verdicts.
import { expect } from 'chai';
import { INSTANCE_LABEL, SCHEDULE_UID_LABEL, SCHEDULED_TIME_ANNOTATION } from '../../../src/api/constants.ts';
import type { ImageCapture } from '../../../src/api/types.ts';
import { ScaledClock } from '../../../src/runtime/clock.ts';
import { waitFor } from '../../env/index.ts';
import { seedInstance } from '../imagecapture/helpers.ts';
import { argocd, kstatus, type Stored } from '../status/judges.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import {
  advanceToNextRun, allAvailable, capturesOf, eventsOf, phases, schedule, scheduleManifest, waitCaptures, waitStatus,
} from './helpers.ts';

const imageOf = (s: Scenario, c: ImageCapture) => s.sim.state.images.get(c.status!.imageId!);

describe('ImageSchedule', function () {
  this.timeout(180_000);
  let s: Scenario;
  let clock: ScaledClock;

  before(async () => {
    clock = new ScaledClock({ scale: 0 });
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: { clock } });
  });
  after(async () => s?.close());
  // Each test's schedules start from now: a clock left ahead by an earlier test would make a new schedule's first
  // minutes look missed (and caught up) since its creation.
  beforeEach(() => clock.set(new Date()));

  it('captures every listed instance at each run, prunes by keepLast with Delete, and reports it in status, columns and judges', async () => {
    const a = seedInstance(s);
    const b = seedInstance(s);
    await s.create('imageschedules', scheduleManifest(s, 'keep-one', {
      instances: { ids: [a.id, b.id] }, retention: { keepLast: 1 }, captureTemplate: { deletionPolicy: 'Delete', image: { nameTemplate: 'nightly-{instance}-{time}', tags: { team: 'web' } } },
    }));
    const first = await waitStatus(s, 'keep-one', 'Ready Scheduled before the first run', (st) => st.conditions?.find((c) => c.type === 'Ready')?.reason === 'Scheduled');
    expect(first.status!.lastScheduleTime).to.equal(undefined);
    const t1 = await advanceToNextRun(s, clock, 'keep-one');
    const run1 = await waitCaptures(s, 'keep-one', 'two Available', allAvailable(2));
    for (const c of run1) {
      expect(c.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'ImageSchedule', name: 'keep-one', uid: first.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(c.metadata.labels?.[SCHEDULE_UID_LABEL]).to.equal(first.metadata.uid);
      expect([a.id, b.id]).to.include(c.metadata.labels?.[INSTANCE_LABEL]);
      expect(c.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION]).to.equal(t1);
      expect(c.spec.image.name).to.match(/^nightly-i-[0-9A-F]{8}-\d{8}-\d{6}$/);
      expect(imageOf(s, c)?.tags.get('team')).to.equal('web');
    }
    const done1 = await waitStatus(s, 'keep-one', 'run 1 succeeded', (st) => st.lastSuccessfulTime === t1);
    expect(done1.status).to.deep.include({ lastScheduleTime: t1, activeCount: 0 });
    expect(done1.status!.history![0]).to.deep.include({ scheduledTime: t1, result: 'Succeeded', captures: 2, succeeded: 2, failed: 0 });
    expect(done1.status!.conditions!.find((c) => c.type === 'Ready')).to.deep.include({ status: 'True', reason: 'Succeeded' });
    expect(new Date(done1.status!.nextScheduleTime!).getTime() - new Date(t1).getTime()).to.equal(60_000);

    const t2 = await advanceToNextRun(s, clock, 'keep-one');
    const run2 = await waitCaptures(s, 'keep-one', 'the two of run 2 only', (caps) => caps.length === 2 && caps.every((c) => c.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION] === t2 && c.status?.phase === 'Available'));
    await waitFor(async () => run1.every((c) => !imageOf(s, c)), { timeoutMs: 30_000, message: 'pruned images deregistered (Delete)' });
    for (const c of run2) expect(imageOf(s, c)?.state).to.equal('available');
    const events = await eventsOf(s, 'keep-one');
    expect(events.filter((e) => e.reason === 'Pruned')).to.have.length(2);
    expect(events.filter((e) => e.reason === 'RunStarted')).to.have.length(2);

    const table = await s.env.kubectl(['get', 'isched', 'keep-one', '-n', s.namespace]);
    expect(table.stdout.split('\n')[0]).to.match(/^NAME\s+SCHEDULE\s+SUSPEND\s+LAST SCHEDULE\s+NEXT SCHEDULE\s+ACTIVE\s+READY\s+REASON\s+AGE/);
    expect(table.stdout.split('\n')[1]).to.match(/^keep-one\s+\* \* \* \* \*\s+false\s+\S+\s+\S+\s+0\s+True\s+Succeeded\s+/);
    const byCategory = await s.env.kubectl(['get', 'eucalyptus-imaging', '-n', s.namespace, '-o', 'name']);
    expect(byCategory.stdout).to.contain('imageschedule.imaging.eucalyptus.dev/keep-one');

    const stored = [await schedule(s, 'keep-one')] as unknown as Stored[];
    expect((await kstatus(stored))[0]?.status).to.equal('Current');
    expect((await argocd(stored))[0]?.status).to.equal('Healthy');
    await s.remove('imageschedules', 'keep-one');
  });

  it('Retain: a pruned capture goes, its image and snapshots stay in the cloud', async () => {
    const a = seedInstance(s);
    await s.create('imageschedules', scheduleManifest(s, 'retain', { instances: { ids: [a.id] }, retention: { keepLast: 1 }, captureTemplate: { deletionPolicy: 'Retain' } }));
    await advanceToNextRun(s, clock, 'retain');
    const [old] = await waitCaptures(s, 'retain', 'run 1 Available', allAvailable(1));
    const t2 = await advanceToNextRun(s, clock, 'retain');
    await waitCaptures(s, 'retain', 'only run 2 left', (caps) => caps.length === 1 && caps[0]!.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION] === t2 && caps[0]!.status?.phase === 'Available');
    await s.waitGone('imagecaptures', old!.metadata.name!);
    expect(imageOf(s, old!)?.state).to.equal('available');
    await s.remove('imageschedules', 'retain');
  });

  it('maxAge prunes captures older than the age, and a failed capture neither counts towards keepLast nor stays beyond keepFailed', async () => {
    const a = seedInstance(s);
    await s.create('imageschedules', scheduleManifest(s, 'aged', { instances: { ids: [a.id] }, retention: { maxAge: '150s', keepFailed: 1 }, captureTemplate: { deletionPolicy: 'Delete' } }));
    const t1 = await advanceToNextRun(s, clock, 'aged');
    await waitCaptures(s, 'aged', 'run 1', allAvailable(1));
    s.sim.faults.set({ failImage: { count: 1 } });
    const t2 = await advanceToNextRun(s, clock, 'aged');
    const failed = await waitStatus(s, 'aged', 'run 2 failed', (st) => st.history?.[0]?.scheduledTime === t2 && st.history[0].result === 'Failed');
    expect(failed.status!.conditions!.find((c) => c.type === 'Ready')).to.deep.include({ status: 'False', reason: 'LastRunFailed' });
    expect((await argocd([failed] as unknown as Stored[]))[0]?.status).to.equal('Degraded');
    const t3 = await advanceToNextRun(s, clock, 'aged');
    await waitStatus(s, 'aged', 'run 3 succeeded, Ready again', (st) => st.lastSuccessfulTime === t3 && st.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    // At t3 run 1 is 120 s old: kept. At t4 it is 180 s old: pruned; the failed run 2 (120 s) is the one failed capture kept.
    expect((await capturesOf(s, 'aged')).map((c) => c.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION]).sort()).to.deep.equal([t1, t2, t3]);
    const t4 = await advanceToNextRun(s, clock, 'aged');
    const left = await waitCaptures(s, 'aged', 'run 1 pruned by age', (caps) => caps.length === 3 && !caps.some((c) => c.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION] === t1) && caps.every((c) => c.status?.phase === 'Available' || c.status?.phase === 'Failed'));
    expect(left.map((c) => c.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION]).sort()).to.deep.equal([t2, t3, t4]);
    await s.remove('imageschedules', 'aged');
  });

  describe('concurrency policies (captures held in progress by slow snapshots)', () => {
    let latency: typeof s.sim.state.latency;
    beforeEach(() => {
      latency = s.sim.state.latency;
      s.sim.state.latency = { ...latency, snapshotMs: 3_600_000 };
    });
    afterEach(() => {
      s.sim.state.latency = latency;
      s.sim.advance();
    });

    it('Forbid skips a run while the last one is active, then starts the held run once it finished (no deadline)', async () => {
      const a = seedInstance(s);
      await s.create('imageschedules', scheduleManifest(s, 'forbid', { concurrencyPolicy: 'Forbid', instances: { ids: [a.id] } }));
      const t1 = await advanceToNextRun(s, clock, 'forbid');
      await waitStatus(s, 'forbid', 'run 1 active', (st) => st.activeCount === 1 && st.lastScheduleTime === t1);
      const t2 = await advanceToNextRun(s, clock, 'forbid');
      await waitFor(async () => (await eventsOf(s, 'forbid')).some((e) => e.reason === 'RunWaiting'), { timeoutMs: 20_000, message: 'RunWaiting event' });
      expect(await capturesOf(s, 'forbid')).to.have.length(1);
      expect((await schedule(s, 'forbid')).status!.lastScheduleTime).to.equal(t1);
      s.sim.state.latency = latency;
      s.sim.advance();
      await waitStatus(s, 'forbid', 'held run 2 started after run 1 finished', (st) => st.lastScheduleTime === t2);
      expect(await capturesOf(s, 'forbid')).to.have.length(2);
      await s.remove('imageschedules', 'forbid');
    });

    it('Allow starts a run while the last one is active', async () => {
      const a = seedInstance(s);
      await s.create('imageschedules', scheduleManifest(s, 'allow', { concurrencyPolicy: 'Allow', instances: { ids: [a.id] } }));
      await advanceToNextRun(s, clock, 'allow');
      await waitStatus(s, 'allow', 'run 1 active', (st) => st.activeCount === 1);
      const t2 = await advanceToNextRun(s, clock, 'allow');
      const st = await waitStatus(s, 'allow', 'two active', (x) => x.activeCount === 2 && x.lastScheduleTime === t2);
      expect(st.status!.history!.map((h) => h.result)).to.deep.equal(['Running', 'Running']);
      await s.remove('imageschedules', 'allow');
    });

    it('Replace deletes the active capture (its run counts as failed) and starts the new run', async () => {
      const a = seedInstance(s);
      await s.create('imageschedules', scheduleManifest(s, 'replace', { concurrencyPolicy: 'Replace', instances: { ids: [a.id] }, captureTemplate: { deletionPolicy: 'Retain' } }));
      await advanceToNextRun(s, clock, 'replace');
      const [first] = await waitCaptures(s, 'replace', 'run 1 exists', (caps) => caps.length === 1);
      const t2 = await advanceToNextRun(s, clock, 'replace');
      const st = await waitStatus(s, 'replace', 'run 2 replaced run 1', (x) => x.lastScheduleTime === t2 && x.history?.[1]?.result === 'Failed');
      expect(st.status!.history![1]!.message).to.match(/deleted before finishing/);
      await s.waitGone('imagecaptures', first!.metadata.name!, 30_000);
      const caps = await capturesOf(s, 'replace');
      expect(caps.map((c) => c.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION])).to.deep.equal([t2]);
      expect((await eventsOf(s, 'replace')).some((e) => e.reason === 'Replaced')).to.equal(true);
      await s.remove('imageschedules', 'replace');
    });
  });

  it('suspend stops new runs and clears nextScheduleTime; resume starts the latest missed run once', async () => {
    const a = seedInstance(s);
    await s.create('imageschedules', scheduleManifest(s, 'pause', { instances: { ids: [a.id] } }));
    await advanceToNextRun(s, clock, 'pause');
    await waitCaptures(s, 'pause', 'run 1', allAvailable(1));
    await s.env.kubectl(['patch', 'isched', 'pause', '-n', s.namespace, '--type=merge', '-p', '{"spec":{"suspend":true}}']);
    const paused = await waitStatus(s, 'pause', 'suspended', (st, o) => st.observedGeneration === o.metadata.generation && !st.nextScheduleTime);
    expect((await argocd([paused] as unknown as Stored[]))[0]).to.deep.include({ status: 'Suspended' });
    clock.jump(5 * 60_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await capturesOf(s, 'pause')).to.have.length(1);
    await s.env.kubectl(['patch', 'isched', 'pause', '-n', s.namespace, '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await waitCaptures(s, 'pause', 'one catch-up run', allAvailable(2));
    await new Promise((r) => setTimeout(r, 500));
    expect(await capturesOf(s, 'pause')).to.have.length(2);
    await s.remove('imageschedules', 'pause');
  });

  it('after an operator outage: one catch-up run within the deadline, none beyond it', async () => {
    const a = seedInstance(s);
    const b = seedInstance(s);
    await s.create('imageschedules', scheduleManifest(s, 'outage', { instances: { ids: [a.id] } }));
    await s.create('imageschedules', scheduleManifest(s, 'deadline', { instances: { ids: [b.id] }, startingDeadlineSeconds: 30 }));
    await advanceToNextRun(s, clock, 'outage');
    await waitCaptures(s, 'outage', 'run 1', allAvailable(1));
    await waitCaptures(s, 'deadline', 'run 1', allAvailable(1));
    await s.operator!.stop();
    clock.jump(5 * 60_000 + 45_000);
    await s.startOperator({ clock });
    const caps = await waitCaptures(s, 'outage', 'catch-up run', allAvailable(2));
    const latest = (await schedule(s, 'outage')).status!.lastScheduleTime!;
    expect(new Date(clock.now()).getTime() - new Date(latest).getTime()).to.be.below(60_000);
    expect(caps.map((c) => c.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION])).to.include(latest);
    await waitFor(async () => (await eventsOf(s, 'outage')).some((e) => e.reason === 'MissedSchedules' && /4 earlier run/.test(e.message ?? '')), { timeoutMs: 20_000, message: 'MissedSchedules event' });
    await waitFor(async () => (await eventsOf(s, 'deadline')).some((e) => e.reason === 'MissedSchedule'), { timeoutMs: 20_000, message: 'MissedSchedule event' });
    expect(await capturesOf(s, 'deadline')).to.have.length(1);
    await s.remove('imageschedules', 'outage');
    await s.remove('imageschedules', 'deadline');
  });

  it('tag selection: each run captures the instances that match then, found with one DescribeInstances', async () => {
    const [x, y] = [seedInstance(s), seedInstance(s)];
    for (const i of [x, y]) i.tags.set('fleet', 'tagged-web');
    await s.create('imageschedules', scheduleManifest(s, 'tagged', { instances: { tags: { fleet: 'tagged-web' } }, retention: { keepLast: 1 } }));
    const before = s.sim.log.entries('DescribeInstances').filter((e) => JSON.stringify(e.params).includes('tag:fleet')).length;
    await advanceToNextRun(s, clock, 'tagged');
    const run1 = await waitCaptures(s, 'tagged', 'x and y', allAvailable(2));
    expect(run1.map((c) => c.spec.instanceId).sort()).to.deep.equal([x.id, y.id].sort());
    const z = seedInstance(s);
    z.tags.set('fleet', 'tagged-web');
    y.tags.delete('fleet');
    const t2 = await advanceToNextRun(s, clock, 'tagged');
    await waitStatus(s, 'tagged', 'run 2 done', (st) => st.lastSuccessfulTime === t2);
    const run2 = (await capturesOf(s, 'tagged')).filter((c) => c.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION] === t2);
    expect(run2.map((c) => c.spec.instanceId).sort()).to.deep.equal([x.id, z.id].sort());
    const tagged = s.sim.log.entries('DescribeInstances').filter((e) => JSON.stringify(e.params).includes('tag:fleet')).length - before;
    expect(tagged).to.equal(2, 'one DescribeInstances per run');
    x.tags.delete('fleet');
    z.tags.delete('fleet');
    const t3 = await advanceToNextRun(s, clock, 'tagged');
    const none = await waitStatus(s, 'tagged', 'run 3 found nothing', (st) => st.history?.[0]?.scheduledTime === t3);
    expect(none.status!.history![0]!.result).to.equal('NoInstances');
    expect(none.status!.conditions!.find((c) => c.type === 'Ready')).to.deep.include({ status: 'False', reason: 'NoInstancesMatched' });
    await s.remove('imageschedules', 'tagged');
  });

  it('one manifest: tagged instances, keep one, share with an account, prove each image boots', async () => {
    const [x, y] = [seedInstance(s), seedInstance(s)];
    for (const i of [x, y]) i.tags.set('fleet', 'golden');
    await s.create('imageschedules', scheduleManifest(s, 'golden', {
      instances: { tags: { fleet: 'golden' } }, retention: { keepLast: 1 },
      captureTemplate: { deletionPolicy: 'Delete', launchPermissions: ['000900080007'], bootVerification: { consoleOutputPattern: 'login:' } },
    }));
    await advanceToNextRun(s, clock, 'golden');
    const caps = await waitCaptures(s, 'golden', 'two Available', allAvailable(2));
    for (const c of caps) {
      expect(c.status?.conditions?.find((k) => k.type === 'BootVerified')?.status).to.equal('True');
      const image = imageOf(s, c)!;
      expect([...image.launchPermissions]).to.deep.equal(['000900080007']);
      expect(image.tags.get('imaging.eucalyptus.dev/boot-verified')).to.equal('true');
      const testInstances = [...s.sim.state.instances.values()].filter((i) => i.imageId === image.id);
      expect(testInstances.map((i) => i.state)).to.satisfy((st: string[]) => st.length === 1 && ['shutting-down', 'terminated'].includes(st[0]!));
    }
    await s.remove('imageschedules', 'golden');
  });

  it('an invalid schedule, time zone or template stalls with its reason; fixing it recovers; colliding templates are refused', async () => {
    const a = seedInstance(s);
    await s.create('imageschedules', scheduleManifest(s, 'bad', { schedule: '0 2 * *', instances: { ids: [a.id] } }));
    const stalled = await s.waitForCondition('imageschedules', 'bad', 'Stalled');
    expect(stalled.status!.conditions!.find((c) => c.type === 'Stalled')).to.deep.include({ reason: 'InvalidSchedule' });
    expect((await kstatus([stalled] as unknown as Stored[]))[0]?.status).to.equal('Failed');
    expect((await argocd([stalled] as unknown as Stored[]))[0]?.status).to.equal('Degraded');
    await s.env.kubectl(['patch', 'isched', 'bad', '-n', s.namespace, '--type=merge', '-p', '{"spec":{"schedule":"@hourly","timeZone":"Mars/Olympus"}}']);
    await waitStatus(s, 'bad', 'InvalidTimeZone', (st) => st.conditions?.find((c) => c.type === 'Stalled')?.reason === 'InvalidTimeZone');
    await s.env.kubectl(['patch', 'isched', 'bad', '-n', s.namespace, '--type=merge', '-p', '{"spec":{"timeZone":"Europe/Berlin","captureTemplate":{"image":{"nameTemplate":"web:{instance}:{time}"}}}}']);
    await waitStatus(s, 'bad', 'InvalidTemplate', (st) => st.conditions?.find((c) => c.type === 'Stalled')?.reason === 'InvalidTemplate');
    await s.env.kubectl(['patch', 'isched', 'bad', '-n', s.namespace, '--type=merge', '-p', '{"spec":{"captureTemplate":{"image":{"nameTemplate":"web-{instance}-{time}"}}}}']);
    const ok = await s.waitForCondition('imageschedules', 'bad', 'Ready');
    expect(ok.status!.nextScheduleTime).to.match(/:00:00Z$/);
    expect((await kstatus([ok] as unknown as Stored[]))[0]?.status).to.equal('Current');
    const refused = await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'ImageSchedule', ...scheduleManifest(s, 'collide', { instances: { ids: [a.id] }, captureTemplate: { image: { nameTemplate: 'web-{instance}' } } }) }),
    });
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.contain('must contain {instance} and {time}');
    const both = await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'ImageSchedule', ...scheduleManifest(s, 'both', { instances: { ids: [a.id], tags: { a: 'b' } } }) }),
    });
    expect(both.stderr).to.contain('exactly one of ids or tags');
    expect(phases(await capturesOf(s, 'bad'))).to.deep.equal([]);
    await s.remove('imageschedules', 'bad');
  });
});
