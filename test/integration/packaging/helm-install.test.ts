// The chart installed into the real API server: CRDs Established, every object created, an upgrade applied, and
// the ServiceAccount's permissions checked with `kubectl auth can-i`. There is no kubelet: pods never run, so the
// tests look at objects, not at pod readiness.
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { getEnv, waitFor, type TestEnv } from '../../env/index.ts';
import { chartDir, envOf, fixturesDir, operatorContainer, parseManifests, type K8sObject } from './chart.ts';
import { canI, checkpointKeyNeeds, describePermission, forbiddenIn, leaseNeeds, neededIn, type Permission } from './rbac.ts';

const SA = 'eio-eucalyptus-image-operator';
const CRDS = ['imagecaptures', 'instancebundles', 'cloudprofiles', 'imageschedules'].map((p) => `customresourcedefinitions/${p}.imaging.eucalyptus.dev`);

async function expectPermissions(env: TestEnv, sa: { namespace: string; name: string }, perms: Permission[], allowed: boolean): Promise<void> {
  const answers = await canI(env, sa, perms);
  const wrong = perms.filter((_, i) => answers[i] !== allowed).map(describePermission);
  expect(wrong, allowed ? 'permissions the operator needs but lacks' : 'permissions the operator must not have').to.deep.equal([]);
}

async function getObjects(env: TestEnv, ns: string, kinds: string): Promise<K8sObject[]> {
  const r = await env.kubectl(['get', kinds, '-n', ns, '-o', 'yaml']);
  if (r.code !== 0) throw new Error(r.stderr);
  const list = parseManifests(r.stdout)[0] as unknown as { items: K8sObject[] };
  return list.items;
}

describe('Helm chart installed into a real API server', function () {
  let env: TestEnv;
  let ns: string;
  let other: string;

  before(async function () {
    this.timeout(180_000);
    env = await getEnv();
    ns = await env.newNamespace('pkg-helm');
    other = await env.newNamespace('pkg-other');
  });

  it('installs: CRDs become Established and every object is created', async function () {
    const r = await env.helm(['install', 'eio', chartDir, '-n', ns, '--wait=false']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('kubectl wait --for=condition=Ready icap/');
    const wait = await env.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...CRDS]);
    expect(wait.code, wait.stderr).to.equal(0);
    const objects = await getObjects(env, ns, 'deployment,serviceaccount,service,configmap,role,rolebinding');
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).to.include.members([
      `Deployment/${SA}`, `ServiceAccount/${SA}`, `Service/${SA}-metrics`, `ConfigMap/${SA}-dashboard`,
      `Role/${SA}-leader-election`, `RoleBinding/${SA}-leader-election`, `Role/${SA}-checkpoint-key`, `RoleBinding/${SA}-checkpoint-key`,
    ]);
    const cluster = await env.kubectl(['get', `clusterrole/${SA}-${ns}`, `clusterrolebinding/${SA}-${ns}`, '-o', 'name']);
    expect(cluster.code, cluster.stderr).to.equal(0);
  });

  it('gives the ServiceAccount every permission the operator uses, in any namespace', async function () {
    const sa = { namespace: ns, name: SA };
    await expectPermissions(env, sa, [...neededIn(ns), ...neededIn(other), ...leaseNeeds(ns), ...checkpointKeyNeeds(ns)], true);
  });

  it('denies the ServiceAccount everything else: listing Secrets, pods, CRDs, Leases elsewhere', async function () {
    const sa = { namespace: ns, name: SA };
    await expectPermissions(env, sa, [...forbiddenIn(ns, { operatorNamespace: true }), ...forbiddenIn(other), ...leaseNeeds(other)], false);
  });

  it('refuses a bad statusRefresh, then upgrades with changed values: two replicas get leader election and a PodDisruptionBudget', async function () {
    const refused = await env.helm(['upgrade', 'eio', chartDir, '-n', ns, '--wait=false', '--set', 'statusRefresh=soon']);
    expect(refused.code, 'a bad statusRefresh is refused before anything changes').to.not.equal(0);
    expect(refused.stderr).to.contain("at '/statusRefresh'");
    const r = await env.helm(['upgrade', 'eio', chartDir, '-n', ns, '--wait=false', '--set', 'replicaCount=2', '--set', 'logLevel=debug']);
    expect(r.code, r.stderr).to.equal(0);
    const deploy = (await getObjects(env, ns, 'deployment')).find((o) => o.metadata.name === SA);
    expect(deploy).to.have.nested.property('spec.replicas', 2);
    expect(envOf(operatorContainer([deploy!]))).to.include({ EIO_LEADER_ELECT: 'true', EIO_LOG_LEVEL: 'debug', EIO_STATUS_REFRESH: '2m' });
    const pdbs = await getObjects(env, ns, 'poddisruptionbudget');
    expect(pdbs.map((p) => p.metadata.name)).to.deep.equal([SA]);
    const history = await env.helm(['history', 'eio', '-n', ns, '-o', 'json']);
    expect((JSON.parse(history.stdout) as Array<{ revision: number; status: string }>).at(-1)).to.include({ revision: 2, status: 'deployed' });
  });

  it('creates the default CloudProfile when defaultCloud is enabled, without a Helm hook', async function () {
    const r = await env.helm(['upgrade', 'eio', chartDir, '-n', ns, '--wait=false', '--reuse-values',
      '--set', 'defaultCloud.enabled=true', '--set', 'defaultCloud.ec2Endpoint=http://127.0.0.1:1/services/compute',
      '--set', 'defaultCloud.existingSecret=cloud-credentials', '--set', 'defaultCloud.apiVersion=2013-08-15']);
    expect(r.code, r.stderr).to.equal(0);
    const profile = await waitFor(async () => (await getObjects(env, ns, 'cloudprofiles.imaging.eucalyptus.dev'))[0], { message: 'default CloudProfile' });
    expect(profile.metadata.name).to.equal('default');
    expect(profile.metadata.annotations).to.not.have.property('helm.sh/hook');
    expect(profile).to.have.nested.property('spec.apiVersion', '2013-08-15');
    const deploy = (await getObjects(env, ns, 'deployment'))[0];
    expect(envOf(operatorContainer([deploy!]))).to.include({ EIO_DEFAULT_CLOUD: 'default' });
  });

  it('upgrades to shards a and b: one Deployment and PodDisruptionBudget per shard, next to the main one, all with statusRefresh', async function () {
    const r = await env.helm(['upgrade', 'eio', chartDir, '-n', ns, '--wait=false', '--reuse-values', '--set', 'shards={a,b}', '--set', 'statusRefresh=45s']);
    expect(r.code, r.stderr).to.equal(0);
    const deploys = await getObjects(env, ns, 'deployment');
    expect(deploys.map((d) => d.metadata.name).sort()).to.deep.equal([SA, `${SA}-shard-a`, `${SA}-shard-b`]);
    expect(deploys.map((d) => envOf(operatorContainer([d])).EIO_SHARD ?? 'main').sort()).to.deep.equal(['a', 'b', 'main']);
    for (const d of deploys) expect(envOf(operatorContainer([d])), d.metadata.name).to.include({ EIO_STATUS_REFRESH: '45s' });
    const pdbs = await getObjects(env, ns, 'poddisruptionbudget');
    expect(pdbs.map((p) => p.metadata.name).sort()).to.deep.equal([SA, `${SA}-shard-a`, `${SA}-shard-b`]);
  });

  describe('upgraded from the single-Deployment layout of before shards', function () {
    type Labels = Record<string, string>;
    type Deploy = K8sObject & { metadata: { uid: string }; spec: { selector: { matchLabels: Labels }; template: { metadata: { labels: Labels } } } };
    type Selecting = K8sObject & { spec: { selector: Labels | { matchLabels: Labels } } };
    const matches = (selector: Labels, labels: Labels) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    const selectorOf = (o: Selecting) => ('matchLabels' in o.spec.selector ? o.spec.selector.matchLabels : o.spec.selector) as Labels;
    /** Names of the Deployments whose pods the object's selector matches. */
    const selects = (o: Selecting, deploys: Deploy[]) => deploys.filter((d) => matches(selectorOf(o), d.spec.template.metadata.labels)).map((d) => d.metadata.name).sort();
    const PRE_SHARD_SELECTOR = { 'app.kubernetes.io/name': 'eucalyptus-image-operator', 'app.kubernetes.io/instance': 'eio' };
    let upNs: string;
    let oldChart: string;
    let mainUid: string;

    before(async function () {
      upNs = await env.newNamespace('pkg-upgrade');
      // The chart as it was before shards: its Deployment and PodDisruptionBudget templates from then.
      oldChart = join(mkdtempSync(join(tmpdir(), 'eio-old-chart-')), 'chart');
      cpSync(chartDir, oldChart, { recursive: true });
      for (const f of ['deployment.yaml', 'pdb.yaml']) copyFileSync(join(fixturesDir, 'pre-shard-chart', f), join(oldChart, 'templates', f));
    });
    after(() => rmSync(join(oldChart, '..'), { recursive: true, force: true }));

    it('installs the old layout: one Deployment whose selector has no shard label', async function () {
      const r = await env.helm(['install', 'eio', oldChart, '-n', upNs, '--wait=false', '--set', 'replicaCount=2']);
      expect(r.code, r.stderr).to.equal(0);
      const [deploy] = await getObjects(env, upNs, 'deployment') as Deploy[];
      expect(deploy!.spec.selector.matchLabels).to.deep.equal(PRE_SHARD_SELECTOR);
      mainUid = deploy!.metadata.uid;
      // The API server refuses to change a Deployment's selector: what made a manual deletion necessary.
      const patch = await env.kubectl(['patch', 'deployment', SA, '-n', upNs, '--type=merge', '-p',
        JSON.stringify({ spec: { selector: { matchLabels: { 'imaging.eucalyptus.dev/operator-shard': 'main' } }, template: { metadata: { labels: { 'imaging.eucalyptus.dev/operator-shard': 'main' } } } } })]);
      expect(patch.code).to.not.equal(0);
      expect(patch.stderr).to.contain('field is immutable');
    });

    it('upgrades to shards a and b with helm upgrade alone: the main Deployment kept, no selector selecting another\'s pods', async function () {
      const r = await env.helm(['upgrade', 'eio', chartDir, '-n', upNs, '--wait=false', '--reuse-values', '--set', 'shards={a,b}']);
      expect(r.code, r.stderr).to.equal(0);
      const deploys = await getObjects(env, upNs, 'deployment') as Deploy[];
      expect(deploys.map((d) => d.metadata.name).sort()).to.deep.equal([SA, `${SA}-shard-a`, `${SA}-shard-b`]);
      const main = deploys.find((d) => d.metadata.name === SA)!;
      expect(main.metadata.uid, 'the main Deployment updated in place, not deleted').to.equal(mainUid);
      expect(main.spec.selector.matchLabels).to.deep.equal(PRE_SHARD_SELECTOR);
      for (const d of deploys) expect(selects(d as unknown as Selecting, deploys), `pods ${d.metadata.name} selects`).to.deep.equal([d.metadata.name]);
      const pdbs = await getObjects(env, upNs, 'poddisruptionbudget') as Selecting[];
      for (const p of pdbs) expect(selects(p, deploys), `pods PodDisruptionBudget ${p.metadata.name} selects`).to.deep.equal([p.metadata.name]);
      expect(pdbs).to.have.length(3);
      const [svc] = await getObjects(env, upNs, 'service') as Selecting[];
      expect(selects(svc!, deploys), 'the metrics Service selects every shard').to.deep.equal([SA, `${SA}-shard-a`, `${SA}-shard-b`]);
    });

    it('upgrades back to one shard: the named shards\' Deployments go, the main one stays', async function () {
      const r = await env.helm(['upgrade', 'eio', chartDir, '-n', upNs, '--wait=false', '--reuse-values', '--set-json', 'shards=[]']);
      expect(r.code, r.stderr).to.equal(0);
      const deploys = await getObjects(env, upNs, 'deployment') as Deploy[];
      expect(deploys.map((d) => [d.metadata.name, d.metadata.uid])).to.deep.equal([[SA, mainUid]]);
    });
  });

  describe('with watchNamespaces', function () {
    let opNs: string;
    let watched: string;

    before(async function () {
      opNs = await env.newNamespace('pkg-shard');
      watched = await env.newNamespace('pkg-watched');
      const r = await env.helm(['install', 'eio', chartDir, '-n', opNs, '--wait=false', '--set', `watchNamespaces={${watched}}`]);
      expect(r.code, r.stderr).to.equal(0);
    });

    it('creates no cluster-wide role', async function () {
      const r = await env.kubectl(['get', `clusterrole/${SA}-${opNs}`]);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain('NotFound');
    });

    it('grants the operator its permissions in the watched namespace and its own namespace only', async function () {
      const sa = { namespace: opNs, name: SA };
      await expectPermissions(env, sa, [...neededIn(watched), ...neededIn(opNs), ...leaseNeeds(opNs), ...checkpointKeyNeeds(opNs)], true);
      // Another namespace (here: the first install's) is out of reach: no custom resources, no Secrets.
      await expectPermissions(env, sa, [...neededIn(other), ...forbiddenIn(watched), ...forbiddenIn(opNs, { operatorNamespace: true })], false);
    });
  });
});
