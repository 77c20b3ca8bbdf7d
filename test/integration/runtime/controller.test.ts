// Controller and Manager against a real API server: events reach reconcile, failures back off and retry,
// requeueAfter runs again, secondaries map to primaries, only the leader reconciles, and /readyz, /healthz
// and /metrics answer.
import { expect } from 'chai';
import { CoreV1Api, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { getEnv, waitFor, type TestEnv } from '../../env/index.ts';
import { Controller } from '../../../src/runtime/controller.ts';
import { startHealthServer } from '../../../src/runtime/health.ts';
import { Informer } from '../../../src/runtime/informer.ts';
import { createLogger, setLogger } from '../../../src/runtime/logger.ts';
import { Manager } from '../../../src/runtime/manager.ts';
import { registry } from '../../../src/runtime/metrics.ts';

setLogger(createLogger({ level: 'silent' }));

describe('runtime Controller and Manager on a real API server', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let core: CoreV1Api;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    env = await getEnv();
    core = env.kubeConfig.makeApiClient(CoreV1Api);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const cm = (namespace: string, name: string, data: Record<string, string> = {}) =>
    core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data } });

  it('reconciles on events, retries failures with backoff and honours requeueAfterMs', async () => {
    const ns = await env.newNamespace('rt-ctl');
    const primary = new Informer<V1ConfigMap>({ kubeConfig: env.kubeConfig, apiVersion: 'v1', plural: 'configmaps', namespace: ns });
    const secrets = new Informer<KubernetesObject>({ kubeConfig: env.kubeConfig, apiVersion: 'v1', plural: 'secrets', namespace: ns });
    const calls = new Map<string, number[]>();
    const controller = new Controller<V1ConfigMap>({
      name: 'test-ctl',
      primary,
      secondaries: [{ cache: secrets, map: (s) => [`${s.metadata?.namespace}/${s.metadata?.labels?.owner ?? ''}`] }],
      queue: { concurrency: 2, backoff: { baseMs: 50, capMs: 400 } },
      reconcile: async (key) => {
        const times = calls.get(key) ?? [];
        times.push(Date.now());
        calls.set(key, times);
        const name = key.split('/')[1];
        if (name === 'flaky' && times.length <= 3) throw new Error(`attempt ${times.length} fails`);
        if (name === 'periodic' && times.length < 3) return { requeueAfterMs: 100 };
        return undefined;
      },
    });
    cleanups.push(() => controller.stop(5000), () => primary.stop(), () => secrets.stop());
    primary.start();
    secrets.start();
    await Promise.all([primary.synced, secrets.synced]);
    controller.start();

    await cm(ns, 'plain');
    await cm(ns, 'flaky');
    await cm(ns, 'periodic');
    await waitFor(() => calls.get(`${ns}/plain`)?.length === 1, { message: 'plain reconciled' });
    await waitFor(() => calls.get(`${ns}/flaky`)?.length === 4, { message: 'flaky retried until success' });
    const flaky = calls.get(`${ns}/flaky`) as number[];
    const gaps = flaky.slice(1).map((t, i) => t - (flaky[i] as number));
    // Backoff (base 50 ms, jitter up to half): each retry waits at least half its nominal delay.
    expect(gaps[0]).to.be.at.least(20);
    expect(gaps[2]).to.be.at.least(95);
    await waitFor(() => calls.get(`${ns}/periodic`)?.length === 3, { message: 'requeued after' });
    expect(controller.queue.numRequeues(`${ns}/flaky`)).to.equal(0);

    // A secondary object wakes its primary.
    const before = calls.get(`${ns}/plain`)?.length ?? 0;
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 's', labels: { owner: 'plain' } }, stringData: { k: 'v' } } });
    await waitFor(() => (calls.get(`${ns}/plain`)?.length ?? 0) > before, { message: 'secondary mapped' });

    // enqueue() wakes a key from outside (cloud pollers).
    const n = calls.get(`${ns}/periodic`)?.length ?? 0;
    controller.enqueue(`${ns}/periodic`);
    await waitFor(() => (calls.get(`${ns}/periodic`)?.length ?? 0) > n, { message: 'external enqueue' });

    const metrics = await registry.getSingleMetricAsString('eio_reconcile_total');
    expect(metrics).to.match(/eio_reconcile_total\{controller="test-ctl",outcome="error",shard="main"\} 3/);
    expect(metrics).to.match(/eio_reconcile_total\{controller="test-ctl",outcome="requeue",shard="main"\} 2/);
  });

  it('runs controllers only on the leader; a standby is ready and takes over when the leader stops', async () => {
    const ns = await env.newNamespace('rt-mgr');
    const seen: Record<string, string[]> = { one: [], two: [] };
    const makeManager = (identity: 'one' | 'two'): Manager => {
      const m = new Manager({
        kubeConfig: env.kubeConfig,
        namespaces: [ns],
        leaderElection: { namespace: ns, name: 'mgr-lease', identity, leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.3 },
        shutdownDeadlineMs: 5000,
      });
      m.addController((ctx) => new Controller<V1ConfigMap>({
        name: `mgr-${identity}`,
        primary: ctx.informer<V1ConfigMap>({ apiVersion: 'v1', plural: 'configmaps' }),
        reconcile: async (key) => {
          seen[identity]?.push(key);
        },
      }));
      return m;
    };
    const one = makeManager('one');
    await one.start();
    await waitFor(() => one.isLeader && one.ready, { message: 'one leads' });
    const two = makeManager('two');
    await two.start();
    cleanups.push(() => one.stop(), () => two.stop());
    await waitFor(() => two.ready, { message: 'standby ready' });
    expect(two.isLeader).to.equal(false);

    const health = await startHealthServer({ readiness: () => two.ready });
    cleanups.push(() => health.close());
    const get = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${health.port}${path}`);
      return { status: r.status, body: await r.text() };
    };
    expect((await get('/readyz')).status).to.equal(200);
    expect((await get('/healthz')).status).to.equal(200);
    const metrics = await get('/metrics');
    expect(metrics.status).to.equal(200);
    expect(metrics.body).to.include('eio_leader');
    expect(metrics.body).to.include('process_cpu_seconds_total');
    expect((await get('/nope')).status).to.equal(404);

    await cm(ns, 'a');
    await waitFor(() => seen.one?.includes(`${ns}/a`), { message: 'leader reconciles a' });
    expect(seen.two).to.deep.equal([]);

    await one.stop();
    expect(one.ready).to.equal(false);
    await waitFor(() => two.isLeader, { message: 'two takes over', timeoutMs: 10_000 });
    await cm(ns, 'b');
    // The new leader reconciles everything in its warm cache, the new object included.
    await waitFor(() => seen.two?.includes(`${ns}/b`) && seen.two.includes(`${ns}/a`), { message: 'two reconciles' });
    expect(seen.one).to.not.include(`${ns}/b`);
  });

  it('stop() lets an in-flight reconcile finish before returning', async () => {
    const ns = await env.newNamespace('rt-stop');
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = false;
    let finished = false;
    const m = new Manager({ kubeConfig: env.kubeConfig, namespaces: [ns], shutdownDeadlineMs: 10_000 });
    m.addController((ctx) => new Controller<V1ConfigMap>({
      name: 'slow',
      primary: ctx.informer<V1ConfigMap>({ apiVersion: 'v1', plural: 'configmaps' }),
      reconcile: async () => {
        started = true;
        await gate;
        finished = true;
      },
    }));
    await m.start();
    await cm(ns, 'x');
    await waitFor(() => started, { message: 'reconcile started' });
    const stopping = m.stop();
    setTimeout(release, 200);
    await stopping;
    expect(finished).to.equal(true);
  });
});
