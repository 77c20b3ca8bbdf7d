// The chart rendered offline: lint, the objects and settings each values fixture produces, and the values
// schema refusing bad values with a message that names the offending value.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config.ts';
import { chartDir, envOf, findObject, fixturesDir, helmOffline, operatorContainer, renderChart, repoRoot, type Container, type K8sObject } from './chart.ts';

const NS = 'eio-system';
const fixture = (name: string) => ['--values', join(fixturesDir, name)];
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

describe('Helm chart (rendered offline)', function () {
  it('passes helm lint with default and with every option set', async function () {
    for (const args of [[], fixture('ha.yaml'), fixture('watch-namespaces.yaml'), fixture('shards.yaml')]) {
      const r = await helmOffline(['lint', chartDir, '--strict', ...args]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
    }
  });

  it('takes its version and appVersion from package.json', function () {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { apiVersion: string; version: string; appVersion: string };
    expect(chart).to.include({ apiVersion: 'v2', version: pkg.version, appVersion: pkg.version });
  });

  describe('default values', function () {
    let objects: K8sObject[];
    before(async function () {
      objects = await renderChart('eio', NS, fixture('default.yaml'));
    });

    it('runs node dist/main.js as a locked-down non-root container with probes on the health port', function () {
      const deploy = findObject(objects, 'Deployment', 'eio-eucalyptus-image-operator', NS) as unknown as {
        spec: { replicas: number; template: { spec: { serviceAccountName: string; securityContext: Record<string, unknown> } } };
      };
      expect(deploy.spec.replicas).to.equal(1);
      const pod = deploy.spec.template.spec;
      expect(pod.serviceAccountName).to.equal('eio-eucalyptus-image-operator');
      expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      const c = operatorContainer(objects) as Record<string, unknown>;
      // The image's ENTRYPOINT is node dist/main.js: the chart must not override it.
      expect(c).to.not.have.property('command');
      expect(c.securityContext).to.deep.equal({
        allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(c.livenessProbe).to.deep.include({ httpGet: { path: '/healthz', port: 'metrics' } });
      expect(c.readinessProbe).to.deep.include({ httpGet: { path: '/readyz', port: 'metrics' } });
      expect(c.ports).to.deep.equal([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
      expect(c.resources).to.have.nested.property('requests.memory');
    });

    it('sets the operator environment, with the namespace from the downward API and no leader election', function () {
      const c = operatorContainer(objects);
      const ns = c.env?.find((e) => e.name === 'EIO_NAMESPACE');
      expect(ns?.valueFrom).to.deep.equal({ fieldRef: { fieldPath: 'metadata.namespace' } });
      expect(envOf(c)).to.include({
        EIO_LEADER_ELECT: 'false', EIO_HEALTH_PORT: '8080', EIO_LOG_LEVEL: 'info', EIO_CONCURRENCY: '16',
        EIO_CLOUD_CALL_TIMEOUT: '30s', EIO_MAX_CLOUD_CALL_TIMEOUT: '5m', EIO_MAX_UPLOAD_POLICY_TTL: '168h', EIO_STATUS_REFRESH: '2m',
      });
      // No endpoint list: loopback, link-local and metadata addresses stay refused.
      expect(envOf(c)).to.not.have.any.keys('EIO_DEFAULT_CLOUD', 'EIO_WATCH_NAMESPACES', 'EIO_ALLOWED_ENDPOINTS', 'EIO_WORKERS_PER_CLOUD');
    });

    it('sets an environment the operator accepts, with its own defaults', function () {
      const cfg = loadConfig([], envOf(operatorContainer(objects)));
      expect(cfg).to.include({ statusRefreshMs: 120_000, cloudCallTimeoutMs: 30_000, maxUploadPolicyTtlMs: 168 * 3_600_000, concurrency: 16, leaderElection: false });
    });

    it('passes the heap flags of values.nodeOptions as NODE_OPTIONS, which Node accepts there', function () {
      const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { nodeOptions: string };
      const nodeOptions = envOf(operatorContainer(objects)).NODE_OPTIONS;
      expect(nodeOptions).to.equal(values.nodeOptions).and.match(/--max-old-space-size=\d+/);
      // Node refuses to start on a flag NODE_OPTIONS may not carry (e.g. --optimize-for-size).
      const r = spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
    });

    it('passes values.glibcTunables as GLIBC_TUNABLES, each of which glibc\'s loader applies', function () {
      const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { glibcTunables: string };
      const tunables = envOf(operatorContainer(objects)).GLIBC_TUNABLES;
      expect(tunables).to.equal(values.glibcTunables).and.include('glibc.malloc.');
      // The dynamic loader lists the tunables in force: a misspelt name or a value out of range is silently dropped
      // by glibc, so each one set must show with its value. The image's base is Debian, glibc like this machine's.
      const loader = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((p) => existsSync(p));
      expect(loader, 'a glibc dynamic loader').to.be.a('string');
      const r = spawnSync(loader!, ['--list-tunables'], { env: { GLIBC_TUNABLES: tunables! }, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      for (const setting of tunables!.split(':')) {
        const [name, value] = setting.split('=');
        const shown = new RegExp(`^${name!.replaceAll('.', '\\.')}: 0x([0-9a-f]+)`, 'm').exec(r.stdout);
        expect(shown, `${name} listed`).to.not.equal(null);
        expect(parseInt(shown![1]!, 16), name).to.equal(Number(value));
      }
    });

    it('grants exactly the operator\'s permissions cluster-wide, and Leases only in its namespace', function () {
      const role = findObject(objects, 'ClusterRole') as unknown as { metadata: { name: string }; rules: Rule[] };
      expect(role.metadata.name).to.equal(`eio-eucalyptus-image-operator-${NS}`);
      expect(role.rules).to.deep.equal([
        { apiGroups: ['imaging.eucalyptus.dev'], resources: ['imagecaptures', 'instancebundles', 'cloudprofiles', 'imageschedules'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
        { apiGroups: ['imaging.eucalyptus.dev'], resources: ['imagecaptures/status', 'instancebundles/status', 'cloudprofiles/status', 'imageschedules/status'], verbs: ['get', 'patch', 'update'] },
        { apiGroups: ['imaging.eucalyptus.dev'], resources: ['imagecaptures/finalizers', 'instancebundles/finalizers', 'cloudprofiles/finalizers', 'imageschedules/finalizers'], verbs: ['update'] },
        { apiGroups: ['imaging.eucalyptus.dev'], resources: ['imagecaptures'], verbs: ['create', 'delete'] },
        { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      ]);
      const binding = findObject(objects, 'ClusterRoleBinding') as unknown as { subjects: unknown[]; roleRef: { name: string } };
      expect(binding.roleRef.name).to.equal(role.metadata.name);
      expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'eio-eucalyptus-image-operator', namespace: NS }]);
      const lease = findObject(objects, 'Role', 'eio-eucalyptus-image-operator-leader-election', NS) as unknown as { rules: Rule[] };
      expect(lease.rules).to.deep.equal([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'create', 'update', 'delete'] }]);
      // The checkpoint key: created on the first start, then only that Secret is read.
      const key = findObject(objects, 'Role', 'eio-eucalyptus-image-operator-checkpoint-key', NS) as unknown as { rules: Rule[] };
      expect(key.rules).to.deep.equal([
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['eio-eucalyptus-image-operator-checkpoint-key'], verbs: ['get'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ]);
      expect(envOf(operatorContainer(objects))).to.include({ EIO_CHECKPOINT_KEY_SECRET: 'eio-eucalyptus-image-operator-checkpoint-key' });
      expect(objects.filter((o) => o.kind === 'Role')).to.have.length(2);
    });

    it('renders a metrics Service and a Grafana dashboard over the operator\'s metrics, but no PDB, ServiceMonitor or CloudProfile', function () {
      const svc = findObject(objects, 'Service', 'eio-eucalyptus-image-operator-metrics', NS) as unknown as { spec: { ports: unknown[] } };
      expect(svc.spec.ports).to.deep.equal([{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
      const cm = findObject(objects, 'ConfigMap', 'eio-eucalyptus-image-operator-dashboard', NS) as K8sObject & { data: Record<string, string> };
      expect(cm.metadata.labels).to.include({ grafana_dashboard: '1' });
      const dashboard = JSON.parse(cm.data['eucalyptus-image-operator.json'] ?? '{}') as { panels: Array<{ targets: Array<{ expr: string }> }> };
      const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
      for (const metric of ['eio_reconcile_duration_seconds', 'eio_reconcile_total', 'eio_workqueue_depth', 'eio_cloud_calls_total',
        'eio_resources', 'eio_informer_relists_total', 'eio_leader']) {
        expect(exprs).to.contain(metric);
      }
      expect(objects.map((o) => o.kind)).to.not.include.members(['PodDisruptionBudget', 'ServiceMonitor', 'CloudProfile']);
    });
  });

  describe('watchNamespaces set', function () {
    let objects: K8sObject[];
    before(async function () {
      objects = await renderChart('eio', NS, fixture('watch-namespaces.yaml'));
    });

    it('grants Roles in each watched namespace and the release namespace instead of a ClusterRole', function () {
      expect(objects.map((o) => o.kind)).to.not.include.members(['ClusterRole', 'ClusterRoleBinding']);
      const roles = objects.filter((o) => o.kind === 'Role' && o.metadata.name === 'eio-eucalyptus-image-operator');
      expect(roles.map((r) => r.metadata.namespace).sort()).to.deep.equal([NS, 'team-a', 'team-b']);
      const bindings = objects.filter((o) => o.kind === 'RoleBinding' && o.metadata.name === 'eio-eucalyptus-image-operator');
      expect(bindings.map((r) => r.metadata.namespace).sort()).to.deep.equal([NS, 'team-a', 'team-b']);
      expect(envOf(operatorContainer(objects)).EIO_WATCH_NAMESPACES).to.equal('team-a,team-b');
      expect(envOf(operatorContainer(objects))).to.include({ EIO_ALLOWED_ENDPOINTS: 'ec2.cloud.example,10.20.0.0/16', EIO_WORKERS_PER_CLOUD: '4' });
    });

    it('passes statusRefresh to the operator as --status-refresh (EIO_STATUS_REFRESH)', function () {
      const env = envOf(operatorContainer(objects));
      expect(env.EIO_STATUS_REFRESH).to.equal('30s');
      expect(loadConfig([], env).statusRefreshMs).to.equal(30_000);
    });
  });

  describe('two replicas with a default cloud and a ServiceMonitor', function () {
    let objects: K8sObject[];
    before(async function () {
      objects = await renderChart('eio', NS, fixture('ha.yaml'));
    });

    it('turns on leader election and adds a PodDisruptionBudget', function () {
      expect(envOf(operatorContainer(objects))).to.include({ EIO_LEADER_ELECT: 'true', EIO_LEASE_NAME: 'eio-eucalyptus-image-operator' });
      const pdb = findObject(objects, 'PodDisruptionBudget') as unknown as { spec: { minAvailable: number; selector: unknown } };
      expect(pdb.spec.minAvailable).to.equal(1);
      // The Deployment's selector, as before shards existed.
      expect(pdb.spec.selector).to.deep.equal({ matchLabels: { 'app.kubernetes.io/name': 'eucalyptus-image-operator', 'app.kubernetes.io/instance': 'eio' } });
    });

    it('renders the default CloudProfile as a plain resource with a sync wave and points the operator at it', function () {
      const cp = findObject(objects, 'CloudProfile', 'euca34', NS) as unknown as K8sObject & { spec: unknown };
      expect(cp.metadata.annotations).to.deep.equal({ 'argocd.argoproj.io/sync-wave': '1' });
      expect(cp.spec).to.deep.equal({
        ec2Endpoint: 'https://ec2.cloud.example.internal:8773/services/compute',
        s3Endpoint: 'https://s3.cloud.example.internal:8773/services/objectstorage',
        region: 'eucalyptus',
        credentialsSecretRef: { name: 'euca34-credentials' },
        apiVersion: '2013-08-15',
        rateLimit: { qps: 5, burst: 10 },
      });
      expect(envOf(operatorContainer(objects)).EIO_DEFAULT_CLOUD).to.equal('euca34');
    });

    it('renders a ServiceMonitor scraping /metrics on the metrics port', function () {
      const sm = findObject(objects, 'ServiceMonitor') as unknown as { spec: { endpoints: unknown[] } };
      expect(sm.spec.endpoints).to.deep.equal([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    });
  });

  describe('shards a and b next to the main shard', function () {
    type Deploy = K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; containers: Container[] } } } };
    let objects: K8sObject[];
    let deploys: Deploy[];
    before(async function () {
      objects = await renderChart('eio', NS, fixture('shards.yaml'));
      deploys = objects.filter((o) => o.kind === 'Deployment') as Deploy[];
    });
    const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

    it('renders one Deployment per shard, each selecting only its own pods, the main one with the selector from before shards', function () {
      expect(deploys.map((d) => d.metadata.name)).to.deep.equal(['eio-eucalyptus-image-operator', 'eio-eucalyptus-image-operator-shard-a', 'eio-eucalyptus-image-operator-shard-b']);
      // A Deployment's selector is immutable: the main one keeps the selector of the unsharded chart, so an upgrade to
      // shards needs no deletion; the named shards' pods differ from it in app.kubernetes.io/name.
      expect(deploys[0]!.spec.selector.matchLabels).to.deep.equal({ 'app.kubernetes.io/name': 'eucalyptus-image-operator', 'app.kubernetes.io/instance': 'eio' });
      expect(deploys.slice(1).map((d) => d.spec.selector.matchLabels['app.kubernetes.io/name'])).to.deep.equal(['eucalyptus-image-operator-shard', 'eucalyptus-image-operator-shard']);
      for (const d of deploys) {
        const selecting = deploys.filter((other) => matches(d.spec.selector.matchLabels, other.spec.template.metadata.labels));
        expect(selecting.map((o) => o.metadata.name), `${d.metadata.name} selects`).to.deep.equal([d.metadata.name]);
      }
      expect(deploys.map((d) => d.spec.template.metadata.labels['imaging.eucalyptus.dev/operator-shard'])).to.deep.equal(['main', 'a', 'b']);
    });

    it('starts each named shard with --shard, all with one Lease base name, ServiceAccount and RBAC', function () {
      const envs = deploys.map((d) => envOf(d.spec.template.spec.containers[0]!));
      expect(envs.map((e) => e.EIO_SHARD)).to.deep.equal([undefined, 'a', 'b']);
      for (const e of envs) expect(e).to.include({ EIO_LEADER_ELECT: 'true', EIO_LEASE_NAME: 'eio-eucalyptus-image-operator', EIO_STATUS_REFRESH: '5m' });
      expect(new Set(deploys.map((d) => d.spec.template.spec.serviceAccountName))).to.deep.equal(new Set(['eio-eucalyptus-image-operator']));
      expect(objects.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name)).to.deep.equal(['eio-eucalyptus-image-operator-eio-system']);
      expect(objects.filter((o) => o.kind === 'ServiceAccount')).to.have.length(1);
    });

    it('scrapes every shard through the one metrics Service, with a PodDisruptionBudget per shard', function () {
      const svc = findObject(objects, 'Service', 'eio-eucalyptus-image-operator-metrics') as unknown as { spec: { selector: Record<string, string> } };
      for (const d of deploys) expect(matches(svc.spec.selector, d.spec.template.metadata.labels), d.metadata.name).to.equal(true);
      const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget') as unknown as Array<{ metadata: { name: string }; spec: { selector: { matchLabels: Record<string, string> } } }>;
      expect(pdbs.map((p) => deploys.filter((d) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels)).map((d) => d.metadata.name)))
        .to.deep.equal(deploys.map((d) => [d.metadata.name]));
    });

    it('alerts for every shard (by the metrics\' shard label) that has no leader', function () {
      const rule = findObject(objects, 'PrometheusRule') as unknown as { spec: { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> } };
      const noLeader = rule.spec.groups[0]!.rules.find((r) => r.alert === 'EucalyptusImagingNoLeader')!;
      expect(noLeader.expr.replace(/\s+/g, ' ').trim()).to.equal('( max by (shard) (eio_leader{job="eio-eucalyptus-image-operator-metrics"})'
        + ' or label_replace(vector(0), "shard", "main", "", "") or label_replace(vector(0), "shard", "a", "", "")'
        + ' or label_replace(vector(0), "shard", "b", "", "") ) < 1');
    });
  });

  describe('values schema', function () {
    const cases = parse(readFileSync(join(fixturesDir, 'bad-values.yaml'), 'utf8')) as Array<{ set: string[]; message: string }>;
    for (const c of cases) {
      it(`refuses ${c.set.join(' ')} naming the bad value`, async function () {
        const err = await renderChart('eio', NS, c.set.flatMap((s) => ['--set', s])).then(() => undefined, (e: Error) => e);
        expect(err, 'helm template should fail').to.be.instanceOf(Error);
        expect(err!.message).to.contain("values don't meet the specifications of the schema");
        expect(err!.message).to.contain(c.message);
      });
    }
  });
});
