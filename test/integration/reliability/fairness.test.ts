// One tenant's cloud stops answering: its calls are cut off at the deadline, it holds at most its share of the
// workers, and the other tenant's capture and CloudProfile go through within a bound. /readyz and a metric
// name the silent cloud while /healthz stays OK (a restart would not help).
import { expect } from 'chai';
import { join } from 'node:path';
import { API_VERSION } from '../../../src/api/constants.ts';
import { startEucasim, type Eucasim } from '../../../sim/server.ts';
import { waitFor } from '../../env/index.ts';
import { DEMO_KEY, startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';

const root = join(import.meta.dirname, '../../..');
const CALL_TIMEOUT_MS = 1_500;
const HUNG = 12;

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

async function applyProfile(s: Scenario, namespace: string, name: string, endpoint: string): Promise<void> {
  const items = [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-creds` }, stringData: DEMO_KEY },
    { apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name }, spec: { ec2Endpoint: endpoint, region: 'eucalyptus', credentialsSecretRef: { name: `${name}-creds` }, rateLimit: { qps: 200, burst: 200 } } },
  ];
  const r = await s.env.kubectl(['apply', '-n', namespace, '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
  if (r.code !== 0) throw new Error(r.stderr);
}

describe('reliability: one hung cloud does not starve the others', function () {
  this.timeout(240_000);
  let s: Scenario;
  let slowSim: Eucasim;
  let slowNs: string;
  after(async () => {
    slowSim?.faults.clear();
    await s?.close();
    await slowSim?.close();
  });

  it('a healthy tenant\'s capture and CloudProfile go through while another tenant\'s cloud hangs', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false });
    slowSim = await startEucasim({ port: 0, profile: 'eucalyptus-3.4', fixtures: join(root, 'sim/fixtures/demo.yaml'), latency: 'zero' });
    slowNs = await s.env.newNamespace('eio-slow');
    await applyProfile(s, slowNs, 'slow', slowSim.url);
    // Four workers per kind, so at most two for one cloud; a short deadline keeps the test quick.
    const op = await s.startOperator({ watchNamespaces: [s.namespace, slowNs], concurrency: 4, workersPerCloud: 2, cloudCallTimeoutMs: CALL_TIMEOUT_MS });
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 30_000);
    await waitFor(async () => (await s.env.kubectl(['get', 'cloudprofile', 'slow', '-n', slowNs, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True', { timeoutMs: 30_000, message: 'slow profile Ready' });
    const baseline = cloudBaseline(s);
    const slowView = { ...s, sim: slowSim } as Scenario;
    const slowBaseline = cloudBaseline(slowView);

    // The other cloud stops answering (answers would come after 60 s), with many captures queued on it.
    slowSim.faults.set({ delay: { ms: 60_000 } });
    const slowTracker = new ResourceTracker({ ...s, namespace: slowNs, create: (plural: never, body: never) => createIn(s, slowNs, plural, body) } as unknown as Scenario);
    const instances = slowSim.state.seedInstances({ count: HUNG, rootDeviceType: 'ebs' });
    for (const [i, inst] of instances.entries()) {
      await slowTracker.create('imagecaptures', { metadata: { name: `hung-${i}` }, spec: { cloudRef: { name: 'slow' }, instanceId: inst.id, noReboot: true, deletionPolicy: 'Delete', image: { name: `hung-${i}-${Date.now()}` } } });
    }
    const port = op.health.port;
    await waitFor(async () => (await get(port, '/readyz')).body.includes(`cloud ${slowNs}/slow has not answered`), { timeoutMs: 30_000, intervalMs: 200, message: '/readyz names the silent cloud' });
    const readyz = await get(port, '/readyz');
    expect(readyz.status, 'reported, not failing').to.equal(200);
    expect((await get(port, '/healthz')).status).to.equal(200);
    expect((await get(port, '/metrics')).body).to.match(new RegExp(`eio_cloud_unresponsive\\{cloud="${slowNs}/slow",shard="main"\\} 1`));
    console.log(`      /readyz: ${readyz.body.trim().split('\n')[0]}`);

    // The healthy tenant.
    const t = new ResourceTracker(s);
    const started = Date.now();
    const [healthy] = s.sim.state.seedInstances({ count: 1, rootDeviceType: 'ebs' });
    await t.create('imagecaptures', captureManifest(s, healthy!.id, { noReboot: true }, 'healthy'));
    await s.waitForCondition('imagecaptures', 'healthy', 'Ready', 'True', 60_000);
    const captureMs = Date.now() - started;

    // Two more profiles on the hung endpoint, then one on the healthy cloud: its check does not queue behind them.
    await applyProfile(s, slowNs, 'slow-2', slowSim.url);
    await applyProfile(s, slowNs, 'slow-3', slowSim.url);
    const profileStarted = Date.now();
    await applyProfile(s, s.namespace, 'fresh', s.sim.url);
    await s.waitForCondition('cloudprofiles', 'fresh', 'Ready', 'True', 30_000);
    const profileMs = Date.now() - profileStarted;
    const deferred = /eio_reconcile_deferred_total\{controller="imagecapture",shard="main"\} (\d+)/.exec((await get(port, '/metrics')).body)?.[1] ?? '0';
    console.log(`      with ${HUNG} captures on a hung cloud (deadline ${CALL_TIMEOUT_MS} ms): healthy capture Ready in ${captureMs} ms, healthy CloudProfile Ready in ${profileMs} ms; ${deferred} reconciles of the hung cloud deferred for their share`);
    expect(captureMs, 'the healthy capture waited behind the hung cloud').to.be.below(20_000);
    expect(profileMs, 'the healthy profile check waited behind the hung cloud').to.be.below(10_000);
    expect(Number(deferred), 'the hung cloud was held to its share').to.be.greaterThan(0);
    const hungCalls = slowSim.log.count('CreateImage');
    expect(hungCalls, 'nothing was created on the hung cloud').to.equal(0);
    await checkInvariants(s, { resources: t.resources, baseline, fairness: [{ plural: 'imagecaptures', name: 'healthy', withinMs: 20_000 }] });

    // The cloud answers again: its captures finish; deleting them (Delete) leaves nothing behind.
    slowSim.faults.clear();
    await waitFor(async () => !(await get(port, '/readyz')).body.includes(`cloud ${slowNs}/slow`), { timeoutMs: 90_000, intervalMs: 500, message: '/readyz clears once the cloud answers' });
    for (const r of slowTracker.resources) {
      await s.custom.deleteNamespacedCustomObject({ group: 'imaging.eucalyptus.dev', version: 'v1alpha1', namespace: slowNs, plural: r.plural, name: r.name });
      r.deleted = true;
    }
    await waitFor(async () => {
      const list = await s.custom.listNamespacedCustomObject({ group: 'imaging.eucalyptus.dev', version: 'v1alpha1', namespace: slowNs, plural: 'imagecaptures' }) as { items: unknown[] };
      return list.items.length === 0;
    }, { timeoutMs: 120_000, intervalMs: 500, message: 'hung captures deleted' });
    await checkInvariants(slowView, { namespace: slowNs, resources: slowTracker.resources, baseline: slowBaseline });
  });
});

async function createIn(s: Scenario, namespace: string, plural: string, body: Record<string, unknown>): Promise<unknown> {
  return s.custom.createNamespacedCustomObject({ group: 'imaging.eucalyptus.dev', version: 'v1alpha1', namespace, plural, body: { apiVersion: API_VERSION, kind: 'ImageCapture', ...body } });
}
