// Smoke tests of the test environment itself: the real API server, the pinned kubectl and helm, moto, and
// RBAC with minted ServiceAccount tokens.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ApiextensionsV1Api, CoreV1Api, RbacAuthorizationV1Api, VersionApi, Watch } from '@kubernetes/client-node';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { getEnv, getMoto, waitFor, type TestEnv } from '../../env/index.ts';

const pinned = Object.fromEntries(readFileSync(new URL('../../../scripts/versions.env', import.meta.url), 'utf8')
  .split('\n').map((l) => /^([A-Z_]+)=(\S+)/.exec(l)).filter((m) => m !== null).map((m) => [m[1], m[2]]));

describe('test environment', function () {
  let env: TestEnv;

  before(async function () {
    this.timeout(180_000); // the first caller pays for starting the control plane
    env = await getEnv();
  });

  it('runs the pinned Kubernetes version', async function () {
    const info = await env.kubeConfig.makeApiClient(VersionApi).getCode();
    expect(info.gitVersion).to.equal(`v${pinned.KUBERNETES_VERSION}`);
    const client = await env.kubectl(['version', '--client', '-o', 'json']);
    expect(JSON.parse(client.stdout).clientVersion.gitVersion).to.equal(`v${pinned.KUBERNETES_VERSION}`);
  });

  it('serves namespaces and ConfigMaps and streams their watch events', async function () {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const ns = await env.newNamespace('smoke');
    const seen: string[] = [];
    const watch = new Watch(env.kubeConfig);
    const abort = await watch.watch(`/api/v1/namespaces/${ns}/configmaps`, {},
      (phase, obj: { metadata?: { name?: string } }) => seen.push(`${phase} ${obj.metadata?.name}`),
      () => { /* ended by abort below */ });
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'hello' }, data: { a: '1' } } });
      await waitFor(() => seen.includes('ADDED hello'), { timeoutMs: 10_000, message: 'ADDED event for the ConfigMap' });
      const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'hello' });
      expect(cm.data).to.deep.equal({ a: '1' });
    } finally {
      abort.abort();
    }
  });

  it('applies a CRD with kubectl and it becomes Established', async function () {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.smoke.eio.test' },
      spec: {
        group: 'smoke.eio.test',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
        }],
      },
    };
    const applied = await env.kubectl(['apply', '-f', '-'], { input: JSON.stringify(crd) });
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.contain('widgets.smoke.eio.test');
    const ext = env.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await waitFor(async () => {
      const got = await ext.readCustomResourceDefinition({ name: 'widgets.smoke.eio.test' });
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, { timeoutMs: 30_000, message: 'CRD Established' });

    const ns = await env.newNamespace('crd');
    const widget = { apiVersion: 'smoke.eio.test/v1', kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 3 } };
    // Discovery of a new group may lag Established briefly; kubectl retries are polled, not slept.
    await waitFor(async () => (await env.kubectl(['apply', '-f', '-'], { input: JSON.stringify(widget) })).code === 0,
      { timeoutMs: 30_000, message: 'a Widget can be created' });
    const got = await env.kubectl(['get', 'widget', 'w1', '-n', ns, '-o', 'jsonpath={.spec.size}']);
    expect(got.stdout).to.equal('3');
  });

  it('runs the pinned helm: version, template and install of a small chart', async function () {
    const version = await env.helm(['version', '--short']);
    expect(version.code, version.stderr).to.equal(0);
    expect(version.stdout.trim()).to.equal(`v${pinned.HELM_VERSION}`);

    const dir = mkdtempSync(join(tmpdir(), 'eio-chart-'));
    try {
      const chart = join(dir, 'tiny');
      mkdirSync(join(chart, 'templates'), { recursive: true });
      // The kubeVersion constraint checks that helm and the API server report real versions.
      writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: tiny\nversion: 0.1.0\nkubeVersion: ">=1.27.0-0"\n');
      writeFileSync(join(chart, 'values.yaml'), 'greeting: hello\n');
      writeFileSync(join(chart, 'templates', 'cm.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting | quote }}\n');
      const out = await env.helm(['template', 'rel', chart, '--set', 'greeting=hi']);
      expect(out.code, out.stderr).to.equal(0);
      expect(out.stdout).to.contain('name: rel-cm');
      expect(out.stdout).to.contain('greeting: "hi"');

      const ns = await env.newNamespace('helm');
      const installed = await env.helm(['install', 'rel', chart, '-n', ns, '--wait', '--timeout', '60s']);
      expect(installed.code, installed.stderr).to.equal(0);
      const cm = await env.kubeConfig.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: ns, name: 'rel-cm' });
      expect(cm.data).to.deep.equal({ greeting: 'hello' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('denies a ServiceAccount token what RBAC does not grant, and allows what it does', async function () {
    const ns = await env.newNamespace('rbac');
    const sa = await env.serviceAccountKubeConfig(ns, 'limited');
    const asSa = sa.kubeConfig.makeApiClient(CoreV1Api);
    const denied = await asSa.listNamespacedSecret({ namespace: ns }).then(() => 'allowed', (e: { code?: number }) => e.code);
    expect(denied).to.equal(403);

    const rbac = env.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: ns, body: {
      metadata: { name: 'read-configmaps' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    } });
    await rbac.createNamespacedRoleBinding({ namespace: ns, body: {
      metadata: { name: 'limited-reads-configmaps' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
      subjects: [{ kind: 'ServiceAccount', name: 'limited', namespace: ns }],
    } });
    // RBAC changes reach the authorizer through its informer: poll until the grant applies.
    await waitFor(async () => (await asSa.listNamespacedConfigMap({ namespace: ns })).items !== undefined,
      { timeoutMs: 10_000, message: 'the Role grant to take effect' });

    const user = `system:serviceaccount:${ns}:limited`;
    const canSecrets = await env.kubectl(['auth', 'can-i', 'list', 'secrets', '-n', ns, `--as=${user}`]);
    expect(canSecrets.stdout.trim()).to.equal('no');
    expect(canSecrets.code).to.equal(1);
    const canConfigMaps = await env.kubectl(['auth', 'can-i', 'list', 'configmaps', '-n', ns, `--as=${user}`]);
    expect(canConfigMaps.stdout.trim()).to.equal('yes');

    // kubectl authenticated with the token itself (not impersonation).
    const viaToken = await env.kubectl(['get', 'secrets', '-n', ns], { asUser: { namespace: ns, name: 'limited' } });
    expect(viaToken.code).to.not.equal(0);
    expect(viaToken.stderr).to.match(/forbidden/i);
    const whoami = await env.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'],
      { asUser: { namespace: ns, name: 'limited' } });
    expect(whoami.stdout).to.equal(user);
  });
});

describe('moto', function () {
  it('answers EC2 DescribeRegions', async function () {
    this.timeout(60_000);
    const moto = await getMoto();
    const ec2 = new EC2Client({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    try {
      const out = await ec2.send(new DescribeRegionsCommand({}));
      const names = (out.Regions ?? []).map((r) => r.RegionName);
      expect(names).to.include('us-east-1');
    } finally {
      ec2.destroy();
    }
  });
});
