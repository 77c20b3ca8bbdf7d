// Secrets hygiene and transport security: the credentials never reach logs (debug level), Events or status;
// the upload policy handed to BundleInstance grants only the bucket and prefix, for the TTL; TLS verification
// is on by default and a private CA is trusted only through caBundleSecretRef.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTls } from '../../env/tls.ts';
import { DEMO_KEY, startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { condOf, spawnOperator, waitSettled, type OperatorProcess } from './helpers.ts';

const WRONG_SECRET = 'wrong-secret-for-the-log-check-123';

describe('reliability: secrets hygiene', function () {
  this.timeout(180_000);
  let s: Scenario;
  let op: OperatorProcess | undefined;
  after(async () => {
    await op?.stop();
    await s?.close();
  });

  it('credentials appear in no log line (debug level), Event or status; the upload policy grants only bucket/prefix for the TTL', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false });
    // A second profile with a wrong secret, so the rejection paths log too.
    await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad-creds' }, stringData: { accessKeyId: DEMO_KEY.accessKeyId, secretAccessKey: WRONG_SECRET } },
        { apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'CloudProfile', metadata: { name: 'bad' }, spec: { ec2Endpoint: s.sim.url, s3Endpoint: s.sim.s3Url, credentialsSecretRef: { name: 'bad-creds' } } },
      ] }),
    });
    op = spawnOperator(s, { EIO_LOG_LEVEL: 'debug' });
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 60_000);
    await s.waitForCondition('cloudprofiles', 'bad', 'Stalled', 'True', 60_000);
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    await t.create('imagecaptures', captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', noReboot: true }, 'sec-cap'));
    const waiting = captureManifest(s, seedInstance(s).id, {}, 'sec-bad');
    waiting.spec.cloudRef = { name: 'bad' };
    await s.create('imagecaptures', waiting);
    const [inst] = s.sim.state.seedInstances({ count: 1, rootDeviceType: 'instance-store' });
    const ttlHours = 3;
    const bundle = { metadata: { name: 'sec-bundle' }, spec: { cloudRef: { name: s.cloudName }, instanceId: inst!.id, storage: { bucket: 'demo-bundles', prefix: 'sec-bundle' }, uploadPolicyTTL: `${ttlHours}h`, register: { name: `sec-bundle-${Date.now()}` } } };
    // Failing calls make the operator log SDK errors (which carry the signed request) and retry.
    s.sim.faults.set({ serverError: { count: 6 }, throttle: { count: 4 } });
    const sentAt = Date.now();
    await t.create('instancebundles', bundle);
    await waitSettled(s, t.resources, 90_000);
    expect(op.child.exitCode, 'the operator survived the failing calls').to.equal(null);
    s.sim.faults.clear();
    await s.waitForCondition('imagecaptures', 'sec-bad', 'Reconciling', 'True', 30_000);

    // The upload policy the operator signed: this bucket, this prefix, expiring after the TTL.
    const call = s.sim.log.entries('BundleInstance').at(-1)!;
    const policy = JSON.parse(Buffer.from(call.params['Storage.S3.UploadPolicy']!, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    expect(policy.conditions).to.deep.include({ bucket: 'demo-bundles' });
    expect(policy.conditions).to.deep.include(['starts-with', '$key', 'sec-bundle']);
    expect(policy.conditions.filter((c) => !Array.isArray(c) && 'bucket' in (c as object)), 'exactly one bucket').to.have.length(1);
    expect(policy.conditions.filter((c) => Array.isArray(c)), 'no other key grant').to.have.length(1);
    const expires = Date.parse(policy.expiration) - sentAt;
    expect(expires).to.be.within(ttlHours * 3_600_000 - 120_000, ttlHours * 3_600_000 + 120_000);
    expect(JSON.stringify(call.params), 'the secret key is never sent').to.not.include(DEMO_KEY.secretAccessKey);

    // Everything a user or log collector can read.
    const events = await s.env.kubectl(['get', 'events', '-n', s.namespace, '-o', 'json']);
    const objects = await s.env.kubectl(['get', 'imagecaptures,instancebundles,cloudprofiles', '-n', s.namespace, '-o', 'json']);
    await op.stop();
    const logs = op.output();
    expect(logs, 'the operator log was captured').to.include('operator started');
    expect(logs, 'failed cloud calls were logged with their errors').to.include('reconcile failed');
    const secrets = [DEMO_KEY.secretAccessKey, DEMO_KEY.accessKeyId, WRONG_SECRET];
    const encodings = secrets.flatMap((v) => [v, Buffer.from(v).toString('base64')]);
    for (const [where, text] of [['operator log', logs], ['events', events.stdout], ['resources', objects.stdout]] as const) {
      for (const v of encodings) expect(text.includes(v), `${where} contains a credential (${v.slice(0, 4)}…)`).to.equal(false);
    }
    console.log(`      checked ${logs.length} bytes of debug log, ${events.stdout.length} bytes of Events, ${objects.stdout.length} bytes of resources`);
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});

describe('reliability: TLS to the cloud', function () {
  this.timeout(120_000);
  let s: Scenario;
  let dir: string;
  after(async () => {
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a cloud with a private CA is refused without caBundleSecretRef, and works with it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eio-rel-tls-'));
    const files = await generateTls(dir);
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false, sim: { tls: { cert: readFileSync(files.servingCert, 'utf8'), key: readFileSync(files.servingKey, 'utf8') } } });
    expect(s.sim.url).to.match(/^https:/);
    await s.startOperator();
    const refused = await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'False', 30_000);
    // Not trusted is one of the ways a cloud fails to answer: retried as CloudUnreachable, the message says what to check.
    const why = [condOf(refused, 'Stalled'), condOf(refused, 'Reconciling')].find((c) => c?.status === 'True');
    console.log(`      without the CA: ${why?.reason}: ${why?.message}`);
    expect(why?.message).to.match(/certificate/i);
    const calls = s.sim.log.count();
    expect(calls, 'no request got through').to.equal(0);

    await s.env.kubectl(['create', 'secret', 'generic', 'cloud-ca', '-n', s.namespace, `--from-file=ca.crt=${files.caCert}`]);
    await s.env.kubectl(['patch', 'cloudprofile', s.cloudName, '-n', s.namespace, '--type=merge', '-p', JSON.stringify({ spec: { caBundleSecretRef: { name: 'cloud-ca' } } })]);
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 60_000);
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    await t.create('imagecaptures', captureManifest(s, seedInstance(s).id, {}, 'tls-cap'));
    await s.waitForCondition('imagecaptures', 'tls-cap', 'Ready', 'True', 60_000);
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
