// The informer against a real API server: it lists, follows the watch, and after a 410 Gone relists and
// reports exactly what changed while it was not watching.
import { expect } from 'chai';
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { getEnv, startControlPlane, waitFor, type ControlPlane, type TestEnv } from '../../env/index.ts';
import { keepAllFields, LAST_APPLIED_ANNOTATION } from '../../../src/runtime/cache-transform.ts';
import { Informer } from '../../../src/runtime/informer.ts';
import { InformerGroup, type ObjectCache } from '../../../src/runtime/informer-group.ts';
import { createLogger, setLogger } from '../../../src/runtime/logger.ts';
import { watchOnce } from '../../../src/runtime/watch-stream.ts';

// Keep the test output readable: only warnings and errors from the runtime.
setLogger(createLogger({ level: 'warn' }));

interface Seen {
  adds: string[];
  updates: string[];
  deletes: string[];
}

function record(inf: ObjectCache<V1ConfigMap>): Seen {
  const seen: Seen = { adds: [], updates: [], deletes: [] };
  inf.on('add', (o) => seen.adds.push(o.metadata?.name ?? ''));
  inf.on('update', (_old, o) => seen.updates.push(`${o.metadata?.name}=${o.data?.v ?? ''}`));
  inf.on('delete', (o) => seen.deletes.push(o.metadata?.name ?? ''));
  return seen;
}

/** Whether the server refuses a watch from `resourceVersion` with 410 Gone (it was compacted away). */
async function watchIsGone(kubeConfig: KubeConfig, path: string, resourceVersion: string): Promise<boolean> {
  let gone = false;
  const ac = new AbortController();
  try {
    await watchOnce(kubeConfig, path, { resourceVersion, timeoutSeconds: 1 }, (e) => {
      if (e.type === 'ERROR' && e.object.code === 410) gone = true;
      ac.abort();
    }, ac.signal, 5000);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 410) gone = true;
    else throw err;
  }
  return gone;
}

describe('runtime Informer on a real API server', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let core: CoreV1Api;
  const informers: Array<{ stop(): Promise<void> }> = [];

  before(async () => {
    env = await getEnv();
    core = env.kubeConfig.makeApiClient(CoreV1Api);
  });
  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.stop()));
  });

  const cm = (namespace: string, name: string, v: string) =>
    core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { app: 'rt' } }, data: { v } } });
  const setV = (namespace: string, name: string, v: string) =>
    core.patchNamespacedConfigMap({ namespace, name, body: [{ op: 'replace', path: '/data/v', value: v }] });

  it('lists existing objects, then sees adds, updates and deletes', async () => {
    const ns = await env.newNamespace('rt-inf');
    await cm(ns, 'pre', '1');
    const inf = new Informer<V1ConfigMap>({ kubeConfig: env.kubeConfig, apiVersion: 'v1', plural: 'configmaps', namespace: ns, labelSelector: 'app=rt' });
    informers.push(inf);
    const seen = record(inf);
    inf.start();
    await inf.synced;
    expect(inf.get(ns, 'pre')?.data?.v).to.equal('1');
    expect(inf.get(ns, 'pre')?.kind).to.equal('ConfigMap');
    expect(inf.get(ns, 'pre')?.metadata?.managedFields).to.equal(undefined);
    expect(seen.adds).to.deep.equal(['pre']);

    await cm(ns, 'a', '1');
    await setV(ns, 'a', '2');
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'pre' });
    // Not matching the label selector: never seen.
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other' }, data: { v: 'x' } } });
    await waitFor(() => seen.deletes.includes('pre') && inf.get(ns, 'a')?.data?.v === '2', { message: 'watch events' });
    expect(seen.adds).to.deep.equal(['pre', 'a']);
    expect(seen.updates).to.deep.equal(['a=2']);
    expect(inf.list().map((o) => o.metadata?.name)).to.deep.equal(['a']);
    expect(inf.get(ns, 'other')).to.equal(undefined);
  });

  it('resumes from its last resourceVersion after a stop, replaying what it missed', async () => {
    const ns = await env.newNamespace('rt-resume');
    await cm(ns, 'x', '1');
    const inf = new Informer<V1ConfigMap>({ kubeConfig: env.kubeConfig, apiVersion: 'v1', plural: 'configmaps', namespace: ns });
    informers.push(inf);
    inf.start();
    await inf.synced;
    await inf.stop();
    const seen = record(inf);
    await setV(ns, 'x', '2');
    await cm(ns, 'y', '1');
    inf.start();
    await waitFor(() => inf.get(ns, 'y') !== undefined && inf.get(ns, 'x')?.data?.v === '2', { message: 'resumed watch' });
    expect(inf.resyncs).to.equal(0);
    expect(seen.updates).to.deep.equal(['x=2']);
    expect(seen.adds).to.deep.equal(['y']);
  });

  it('caches objects through its transform: by default without managedFields and kubectl\'s last-applied copy', async () => {
    const ns = await env.newNamespace('rt-transform');
    const annotations = { [LAST_APPLIED_ANNOTATION]: '{"data":{"v":"1"}}', keep: 'me' };
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'listed', annotations }, data: { v: '1' } } });
    const inf = new Informer<V1ConfigMap>({ kubeConfig: env.kubeConfig, apiVersion: 'v1', plural: 'configmaps', namespace: ns });
    const all = new Informer<V1ConfigMap>({ kubeConfig: env.kubeConfig, apiVersion: 'v1', plural: 'configmaps', namespace: ns, transform: keepAllFields });
    informers.push(inf, all);
    const updated: V1ConfigMap[] = [];
    inf.on('update', (_old, o) => updated.push(o));
    inf.start();
    all.start();
    await Promise.all([inf.synced, all.synced]);
    // Listed and watched objects alike.
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'watched', annotations }, data: { v: '1' } } });
    await setV(ns, 'listed', '2');
    await waitFor(() => inf.get(ns, 'watched') !== undefined && all.get(ns, 'watched') !== undefined && updated.length === 1, { message: 'watch events' });
    for (const name of ['listed', 'watched']) {
      expect(inf.get(ns, name)?.metadata?.annotations, name).to.deep.equal({ keep: 'me' });
      expect(inf.get(ns, name)?.metadata?.managedFields, name).to.equal(undefined);
      expect(all.get(ns, name)?.metadata?.annotations, name).to.deep.equal(annotations);
      expect(all.get(ns, name)?.metadata?.managedFields?.length, name).to.be.greaterThan(0);
    }
    expect(updated[0]?.metadata?.annotations).to.deep.equal({ keep: 'me' });
  });

  it('watches a set of namespaces as one cache', async () => {
    const ns1 = await env.newNamespace('rt-g1');
    const ns2 = await env.newNamespace('rt-g2');
    const ns3 = await env.newNamespace('rt-g3');
    const group = new InformerGroup<V1ConfigMap>({ kubeConfig: env.kubeConfig, apiVersion: 'v1', plural: 'configmaps', labelSelector: 'app=rt' }, [ns1, ns2]);
    informers.push(group);
    const seen = record(group);
    group.start();
    await group.synced;
    await cm(ns1, 'one', '1');
    await cm(ns2, 'two', '1');
    await cm(ns3, 'three', '1');
    await waitFor(() => group.get(ns1, 'one') && group.getByKey(`${ns2}/two`), { message: 'group events' });
    expect(group.get(ns3, 'three')).to.equal(undefined);
    expect(seen.adds.sort()).to.deep.equal(['one', 'two']);
    expect(group.hasSynced).to.equal(true);
  });
});

describe('runtime Informer after its resourceVersion is compacted away (410 Gone)', function () {
  this.timeout(180_000);
  // A control plane of its own: no watch cache, so watches are served by etcd, and compaction every second,
  // so a resourceVersion the informer stopped at is soon gone, as after a long disconnection in production.
  let plane: ControlPlane;
  let core: CoreV1Api;
  let inf: Informer<V1ConfigMap> | undefined;

  before(async () => {
    plane = await startControlPlane({ apiServerArgs: ['--watch-cache=false', '--etcd-compaction-interval=1s'] });
    core = plane.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(async () => {
    await inf?.stop();
    await plane?.stop();
  });

  it('relists and emits the adds, updates and deletes it missed, then keeps watching', async () => {
    const ns = 'default';
    const cm = (name: string, v: string) => core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { v } } });
    const setV = (name: string, v: string) => core.patchNamespacedConfigMap({ namespace: ns, name, body: [{ op: 'replace', path: '/data/v', value: v }] });
    await cm('keep', '1');
    await cm('change', '1');
    await cm('remove', '1');
    inf = new Informer<V1ConfigMap>({ kubeConfig: plane.kubeConfig, apiVersion: 'v1', plural: 'configmaps', namespace: ns });
    inf.start();
    await inf.synced;
    await inf.stop();
    const stoppedAt = inf.resourceVersion as string;
    const seen = record(inf);

    // Changes made while the informer is away.
    await setV('change', '2');
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'remove' });
    await cm('added', '1');
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await waitFor(() => watchIsGone(plane.kubeConfig, path, stoppedAt), { timeoutMs: 60_000, intervalMs: 500, message: 'compaction past the informer' });

    inf.start();
    const informer = inf;
    await waitFor(() => informer.resyncs === 1 && informer.get(ns, 'added') !== undefined, { message: 'relist after 410' });
    expect(seen.adds).to.deep.equal(['added']);
    expect(seen.updates).to.deep.equal(['change=2']);
    expect(seen.deletes).to.deep.equal(['remove']);
    expect(inf.list().map((o) => o.metadata?.name).sort()).to.deep.equal(['added', 'change', 'keep']);

    await setV('keep', '9');
    await waitFor(() => informer.get(ns, 'keep')?.data?.v === '9', { message: 'watch after the relist' });
    expect(seen.updates).to.deep.equal(['change=2', 'keep=9']);
  });
});
