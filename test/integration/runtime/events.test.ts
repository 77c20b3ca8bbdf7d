// Events against a real API server: repeats aggregate into one Event with a count, written as client-go's
// recorder writes a series (the second occurrence at once, later ones when the series ends or is refreshed).
import { expect } from 'chai';
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { getEnv, waitFor, type TestEnv } from '../../env/index.ts';
import { EventRecorder, REPORTING_COMPONENT, SERIES_FINISH_MS } from '../../../src/runtime/events.ts';
import { createLogger } from '../../../src/runtime/logger.ts';
import { createWidget, installWidgetCrd } from './widget-crd.ts';

describe('runtime EventRecorder on a real API server', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let ns: string;
  let core: CoreV1Api;

  before(async () => {
    env = await getEnv();
    await installWidgetCrd(env);
    ns = await env.newNamespace('rt-events');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
  });

  const eventsFor = async (name: string): Promise<CoreV1Event[]> =>
    (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;

  it('creates one Event per (object, reason, message) and counts repeats', async () => {
    const w = await createWidget(env, ns, 'ev');
    const rec = new EventRecorder({ kubeConfig: env.kubeConfig, instance: 'test-pod', log: createLogger({ level: 'silent' }) });
    await rec.normal(w, 'Started', 'capture started');
    await Promise.all([rec.warning(w, 'SnapshotFailed', 'snap-1 failed'), rec.warning(w, 'SnapshotFailed', 'snap-1 failed')]);
    await rec.warning(w, 'SnapshotFailed', 'snap-1 failed');
    await rec.warning(w, 'SnapshotFailed', 'snap-2 failed');
    let events = await eventsFor('ev');
    expect(events).to.have.length(3);
    // The third occurrence is counted in memory until the series is written.
    expect(events.find((e) => e.message === 'snap-1 failed')?.count).to.equal(2);
    await rec.flush();
    events = await eventsFor('ev');
    const failed = events.find((e) => e.message === 'snap-1 failed');
    expect(failed?.count).to.equal(3);
    expect(failed?.type).to.equal('Warning');
    expect(failed?.reportingComponent).to.equal(REPORTING_COMPONENT);
    expect(failed?.reportingInstance).to.equal('test-pod');
    expect(failed?.involvedObject.uid).to.equal(w.metadata?.uid);
    expect(failed?.involvedObject.kind).to.equal('Widget');
    expect(events.find((e) => e.reason === 'Started')?.count).to.equal(1);
  });

  it('writes a series count once the series ended, and not before', async () => {
    const w = await createWidget(env, ns, 'series');
    let now = Date.now();
    const rec = new EventRecorder({ kubeConfig: env.kubeConfig, now: () => now, log: createLogger({ level: 'silent' }) });
    for (let i = 0; i < 5; i++) await rec.warning(w, 'DeletionBlocked', 'waiting');
    await rec.flush(false);
    expect((await eventsFor('series'))[0]?.count).to.equal(2);
    now += SERIES_FINISH_MS;
    await rec.flush(false);
    expect((await eventsFor('series'))[0]?.count).to.equal(5);
    await rec.stop();
  });

  it('starts a new Event once the aggregation window has passed', async () => {
    const w = await createWidget(env, ns, 'win');
    let now = Date.now();
    const rec = new EventRecorder({ kubeConfig: env.kubeConfig, windowMs: 60_000, now: () => now, log: createLogger({ level: 'silent' }) });
    await rec.normal(w, 'Tick', 'same');
    now += 61_000;
    await rec.normal(w, 'Tick', 'same');
    await waitFor(async () => (await eventsFor('win')).length === 2, { message: 'two events' });
  });

  it('never throws into the caller, even when the API refuses the Event', async () => {
    const rec = new EventRecorder({ kubeConfig: env.kubeConfig, log: createLogger({ level: 'silent' }) });
    // The namespace does not exist: the API server answers 404.
    await rec.warning({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'no-such-namespace-xyz', name: 'x' } }, 'R', 'm');
  });
});
