// The operator as shipped, end to end: the image's dist/ bundle (built from these sources by the Dockerfile's
// stages, image.ts), started with its ENTRYPOINT, the chart's NODE_OPTIONS and GLIBC_TUNABLES and a token of the
// chart's ServiceAccount, against the test API server and eucasim over real HTTP. The other integration tests run
// src/; this one catches what only the bundle can break: a module dropped with a side effect the operator needs, a
// lazily loaded chunk (the S3 SDK) missing from dist/, a dependency resolved from node_modules the image lacks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { chartProcessEnv } from '../../../bench/node-options.ts';
import type { InstanceBundleStatus } from '../../../src/api/types.ts';
import { GiveUp, freePort, waitFor } from '../../env/index.ts';
import { makeTempDir, spawnTracked, type TrackedProcess } from '../../env/processes.ts';
import { captureManifest, ownedObjects, seedInstance } from '../imagecapture/helpers.ts';
import { BUNDLE_FIXTURES, bundleManifest, bundleObjects, seed } from '../instancebundle/helpers.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { chartDir } from './chart.ts';
import { operatorImage } from './image.ts';

type CaptureStatus = { phase?: string; imageId?: string; strategy?: string; snapshots?: unknown[] };

describe('the shipped bundle, end to end', function () {
  // The first suite to need the image builds it (npm ci and npm run build, about 40 s); the flows take seconds.
  this.timeout(600_000);
  let s: Scenario;
  let operator: TrackedProcess;
  let health: string;
  let appDir: string;
  /** The image's JavaScript files under dist/, by name. */
  const distFiles = (): Array<[string, string]> => {
    const dist = join(appDir, 'dist');
    return readdirSync(dist).filter((f) => f.endsWith('.js')).map((f) => [f, readFileSync(join(dist, f), 'utf8')]);
  };

  before(async function () {
    const { image, app } = await operatorImage();
    appDir = app;
    s = await startScenario({ profile: 'eucalyptus-3.4', fixtures: BUNDLE_FIXTURES, operator: false });
    // It authenticates as in a cluster: a token of the chart's ServiceAccount, with only the chart's RBAC.
    const install = await s.env.helm(['install', 'eio', chartDir, '-n', s.namespace, '--wait=false', '--set', 'defaultCloud.enabled=false']);
    expect(install.code, install.stderr).to.equal(0);
    const serviceAccount = await s.env.serviceAccountKubeConfig(s.namespace, 'eio-eucalyptus-image-operator');
    const healthPort = await freePort();
    health = `http://127.0.0.1:${healthPort}`;
    const [command, ...args] = image.entrypoint!;
    expect(command).to.equal('node');
    operator = spawnTracked('operator-bundle', process.execPath, args, {
      logPath: join(makeTempDir('bundle-e2e'), 'operator.log'),
      cwd: app,
      env: {
        ...image.env,
        ...chartProcessEnv(),
        // Nothing outside the image may be resolved.
        NODE_PATH: '',
        KUBECONFIG: serviceAccount.path,
        EIO_NAMESPACE: s.namespace,
        EIO_WATCH_NAMESPACES: s.namespace,
        EIO_LEADER_ELECT: 'true',
        EIO_LEASE_NAME: 'eio-eucalyptus-image-operator',
        EIO_CHECKPOINT_KEY_SECRET: 'eio-eucalyptus-image-operator-checkpoint-key',
        EIO_HEALTH_PORT: String(healthPort),
        EIO_HEALTH_HOST: '127.0.0.1',
        EIO_LOG_LEVEL: 'info',
        EIO_REBOOT_SETTLE: '200ms',
        EIO_POLL_MIN: '100ms',
        EIO_POLL_MAX: '1s',
        // eucasim listens on loopback, which production refuses.
        EIO_ALLOWED_ENDPOINTS: '127.0.0.0/8',
      },
    });
    await waitFor(async () => {
      if (operator.hasExited()) throw new GiveUp(`the bundle exited (${await operator.exited}):\n${operator.logTail(30)}`);
      try {
        return (await fetch(`${health}/readyz`)).ok;
      } catch {
        return false; // not listening yet
      }
    }, { timeoutMs: 60_000, intervalMs: 100, message: 'the bundle to answer /readyz' });
  });

  after(async function () {
    await operator?.stop(10_000);
    await s?.close();
  });

  /** Fails with the operator's last log lines, which say why a flow did not finish. */
  async function ready(plural: 'cloudprofiles' | 'imagecaptures' | 'instancebundles', name: string) {
    try {
      return await s.waitForCondition(plural, name, 'Ready', 'True', 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\noperator log:\n${operator.logTail(20)}`, { cause: err });
    }
  }

  it('runs under the chart\'s --jitless, which has no WebAssembly (nor the fetch built on it): the bundle uses neither', () => {
    expect(chartProcessEnv().NODE_OPTIONS).to.contain('--jitless');
    for (const [file, code] of distFiles()) {
      expect(code, file).not.to.match(/\bWebAssembly\b/);
      expect(code, file).not.to.match(/(^|[^.\w])fetch\(/);
    }
  });

  it('carries the shapes of the EC2 operations it calls and not of the 800-odd others (build/bundle.ts)', () => {
    const code = distFiles().map(([, text]) => text).join('\n');
    expect(code).to.contain('DescribeImagesRequest');
    expect(code).not.to.contain('AcceptAddressTransferRequest');
    expect(code).not.to.contain('ModifyVpcEndpointServiceConfigurationRequest');
  });

  it('makes the CloudProfile Ready, probing the S3 signature with the lazily loaded S3 SDK', async () => {
    const profile = await ready('cloudprofiles', s.cloudName) as { status?: { capabilities?: { s3Signature?: string } } };
    expect(profile.status?.capabilities?.s3Signature).to.equal('v2');
    expect(s.sim.log.count('ListAllMyBuckets') + s.sim.log.count('ListBuckets'), 'the probe reached the object storage').to.be.greaterThan(0);
  });

  it('captures with CreateImage and with Orchestrated snapshots; both images are registered in the cloud', async () => {
    const created = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'CreateImage' });
    const orchestrated = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated' });
    await s.create('imagecaptures', created);
    await s.create('imagecaptures', orchestrated);
    for (const [m, strategy] of [[created, 'CreateImage'], [orchestrated, 'Orchestrated']] as const) {
      const st = (await ready('imagecaptures', m.metadata.name)).status as CaptureStatus;
      expect(st.phase).to.equal('Available');
      expect(st.strategy).to.equal(strategy);
      expect(s.sim.state.images.get(st.imageId!)?.state).to.equal('available');
      expect(ownedObjects(s, s.namespace, m.metadata.name).images.map((i) => i.id)).to.deep.equal([st.imageId]);
    }
    expect(s.sim.log.count('CreateImage')).to.equal(1);
    expect(s.sim.log.count('RegisterImage')).to.be.greaterThan(0);
  });

  it('bundles an instance-store instance into S3 and registers the bundle', async () => {
    const m = bundleManifest(s, seed(s, { rootDeviceType: 'instance-store' }).id, { register: { name: `bundled-${Date.now()}` } });
    await s.create('instancebundles', m);
    const st = (await ready('instancebundles', m.metadata.name)).status as InstanceBundleStatus;
    expect(st.phase).to.equal('Available');
    expect(st.bundleId).to.match(/^bun-/);
    expect(st.manifestLocation).to.equal(`bundles/${m.metadata.name}.manifest.xml`);
    expect(bundleObjects(s, 'bundles', m.metadata.name)).to.include(`${m.metadata.name}.manifest.xml`);
    const image = s.sim.state.images.get(st.imageId!)!;
    expect(image.state).to.equal('available');
    expect(image.imageLocation).to.equal(st.manifestLocation);
  });

  it('carries out deletionPolicy Delete: image deregistered, snapshots deleted, finalizer gone', async () => {
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true, deletionPolicy: 'Delete' });
    await s.create('imagecaptures', m);
    const imageId = ((await ready('imagecaptures', m.metadata.name)).status as CaptureStatus).imageId!;
    expect(ownedObjects(s, s.namespace, m.metadata.name).snapshots).to.have.length(2);
    await s.remove('imagecaptures', m.metadata.name);
    await s.waitGone('imagecaptures', m.metadata.name, 30_000);
    expect(s.sim.state.images.get(imageId)?.state ?? 'deregistered').to.equal('deregistered');
    const owned = ownedObjects(s, s.namespace, m.metadata.name);
    expect(owned.images).to.have.length(0);
    expect(owned.snapshots).to.have.length(0);
  });

  it('answers /readyz and /metrics with the calls it made', async () => {
    expect((await fetch(`${health}/readyz`)).status).to.equal(200);
    const res = await fetch(`${health}/metrics`);
    expect(res.status).to.equal(200);
    const metrics = await res.text();
    for (const action of ['CreateImage', 'RegisterImage', 'BundleInstance', 'DeregisterImage']) {
      expect(metrics, action).to.match(new RegExp(`^eio_cloud_calls_total\\{[^}]*action="${action}"[^}]*\\} [1-9]`, 'm'));
    }
    expect(metrics).to.match(/^eio_reconcile_total\{[^}]*controller="imagecapture"[^}]*\} [1-9]/m);
    expect(metrics).to.match(/^eio_leader\{[^}]*\} 1$/m);
  });

  it('stops cleanly on SIGTERM, having logged only structured lines and none at error level', async () => {
    await operator.stop(10_000);
    expect(await operator.exited).to.equal(0);
    const lines = operator.logTail(100_000).split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).to.be.greaterThan(0);
    const bad = lines.filter((line) => {
      try {
        return (JSON.parse(line) as { level?: number }).level! >= 50; // pino: 50 error, 60 fatal
      } catch {
        return true; // a stack trace or warning printed outside the logger
      }
    });
    expect(bad, 'error-level or unstructured log lines').to.deep.equal([]);
  });
});
