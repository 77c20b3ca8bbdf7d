// The chart installed into the real API server: CRDs Established, every object created, an upgrade applied, and
// the ServiceAccount's permissions checked with `kubectl auth can-i`. There is no kubelet: pods never run, so the
// tests look at objects, not at pod readiness.
import { expect } from 'chai';
import { getEnv, waitFor, type TestEnv } from '../../env/index.ts';
import { chartDir, envOf, operatorContainer, parseManifests, type K8sObject } from './chart.ts';
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
