// The generated CRDs against the real API server: they install, fill defaults, and reject bad manifests with
// a message naming the field (OpenAPI validation and CEL rules are enforced by the server, not by us).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { getEnv, waitFor, type TestEnv } from '../../env/index.ts';
import { API_VERSION, GROUP, KINDS } from '../../../src/api/constants.ts';
import { markReady } from '../../../src/api/conditions.ts';
import type { ImageCaptureStatus } from '../../../src/api/types.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

type Manifest = Record<string, unknown>;

describe('api CRDs on a real API server', function () {
  this.timeout(180_000);
  let env: TestEnv;
  let ns: string;
  let seq = 0;

  const kubectl = async (args: string[], input?: string) => env.kubectl(input === undefined ? args : [...args], input === undefined ? {} : { input });
  const create = (m: Manifest) => kubectl(['create', '-n', ns, '-f', '-'], stringify(m));
  const getJson = async (resource: string, name: string): Promise<Manifest> => {
    const r = await kubectl(['get', '-n', ns, resource, name, '-o', 'json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Manifest;
  };
  const patch = (resource: string, name: string, body: unknown, subresource?: string) =>
    kubectl(['patch', '-n', ns, resource, name, '--type', 'merge', '-p', JSON.stringify(body), ...(subresource ? [`--subresource=${subresource}`] : [])]);

  const capture = (spec: Manifest, name = `icap-${++seq}`): Manifest => ({ apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name }, spec });
  const bundle = (spec: Manifest, name = `ibun-${++seq}`): Manifest => ({ apiVersion: API_VERSION, kind: 'InstanceBundle', metadata: { name }, spec });
  const validCapture = (): Manifest => ({ instanceId: 'i-1A2B3C4D', image: { name: 'web-server (v1)' } });
  const validBundle = (): Manifest => ({ instanceId: 'i-0123456789abcdef0', storage: { bucket: 'bundles', prefix: 'web-v1' } });

  /** Creating must fail, with every expected fragment in the server's message. */
  async function expectRejected(m: Manifest, ...fragments: string[]): Promise<string> {
    const r = await create(m);
    expect(r.code, `accepted but should not be: ${stringify(m)}`).to.not.equal(0);
    for (const f of fragments) expect(r.stderr).to.contain(f);
    return r.stderr;
  }

  before(async () => {
    env = await getEnv();
    const applied = await env.kubectl(['apply', '--server-side', '-f', join(root, 'crds')]);
    expect(applied.code, applied.stderr).to.equal(0);
    ns = await env.newNamespace('api');
  });

  it('installs the three CRDs and they become Established', async () => {
    for (const k of Object.values(KINDS)) {
      await waitFor(async () => {
        const r = await env.kubectl(['get', 'crd', `${k.plural}.${GROUP}`, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
        return r.code === 0 && r.stdout.trim() === 'True';
      }, { timeoutMs: 30_000, message: `${k.plural} Established` });
    }
    // The new kinds must be served (discovery catches up right after Established).
    await waitFor(async () => (await kubectl(['get', '-n', ns, 'icap,ibun,cprof'])).code === 0, { message: 'kinds served' });
  });

  describe('defaults', () => {
    it('fills ImageCapture defaults', async () => {
      const r = await create(capture(validCapture(), 'defaults'));
      expect(r.code, r.stderr).to.equal(0);
      const obj = await getJson('imagecapture', 'defaults');
      expect(obj.spec).to.deep.equal({
        instanceId: 'i-1A2B3C4D',
        image: { name: 'web-server (v1)' },
        noReboot: false,
        includeAttachedVolumes: true,
        strategy: 'Auto',
        deletionPolicy: 'Retain',
        revokeLaunchPermissionsOnDeletion: false,
        timeout: '2h',
      });
    });
    it('fills InstanceBundle defaults, nested ones too', async () => {
      const r = await create(bundle(validBundle(), 'defaults'));
      expect(r.code, r.stderr).to.equal(0);
      const spec = (await getJson('instancebundle', 'defaults')).spec as Manifest;
      expect(spec.storage).to.deep.equal({ bucket: 'bundles', prefix: 'web-v1', createBucket: false });
      expect(spec).to.include({ uploadPolicyTTL: '12h', deletionPolicy: 'Retain', timeout: '2h' });
    });
    it('fills CloudProfile defaults, including the rate limit object', async () => {
      const r = await create({
        apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: 'defaults' },
        spec: { ec2Endpoint: 'http://127.0.0.1:8773/services/compute', credentialsSecretRef: { name: 'creds' } },
      });
      expect(r.code, r.stderr).to.equal(0);
      const spec = (await getJson('cloudprofile', 'defaults')).spec as Manifest;
      expect(spec).to.include({ region: 'eucalyptus' });
      expect(spec.rateLimit).to.deep.equal({ qps: 10, burst: 20 });
    });
  });

  describe('rejected on create', () => {
    it('a bad instance id', async () => {
      await expectRejected(capture({ ...validCapture(), instanceId: 'i-123' }), 'spec.instanceId', '^i-[0-9a-fA-F]{8,17}$');
    });
    it('an image name that is too short', async () => {
      await expectRejected(capture({ ...validCapture(), image: { name: 'ab' } }), 'spec.image.name', 'at least 3 chars');
    });
    it('an image name with bad characters', async () => {
      await expectRejected(capture({ ...validCapture(), image: { name: 'web;rm -rf' } }), 'spec.image.name', 'should match');
    });
    it('a description over 255 characters', async () => {
      await expectRejected(capture({ ...validCapture(), image: { name: 'web', description: 'x'.repeat(256) } }), 'spec.image.description', 'may not be more than 255');
    });
    it('an unknown strategy', async () => {
      await expectRejected(capture({ ...validCapture(), strategy: 'Magic' }), 'spec.strategy', 'Unsupported value: "Magic"');
    });
    it('a bad duration', async () => {
      await expectRejected(capture({ ...validCapture(), timeout: '2 hours' }), 'spec.timeout', 'should match');
    });
    it('a bad bucket and a bad prefix', async () => {
      await expectRejected(bundle({ ...validBundle(), storage: { bucket: 'my bucket', prefix: 'p/x' } }), 'spec.storage.bucket', 'spec.storage.prefix');
    });
    it('a mapping with both ebs and noDevice', async () => {
      await expectRejected(
        capture({ ...validCapture(), blockDeviceMappings: [{ deviceName: '/dev/sdb', ebs: { volumeSize: 10 }, noDevice: true }] }),
        'spec.blockDeviceMappings[0]', 'exactly one of ebs, virtualName or noDevice',
      );
    });
    it('a bad device name and snapshot id', async () => {
      await expectRejected(
        capture({ ...validCapture(), blockDeviceMappings: [{ deviceName: 'sdb', ebs: { snapshotId: 'snap-x' } }] }),
        'spec.blockDeviceMappings[0].deviceName', 'spec.blockDeviceMappings[0].ebs.snapshotId',
      );
    });
    it('the retired ViaBundle strategy', async () => {
      await expectRejected(capture({ ...validCapture(), strategy: 'ViaBundle' }), 'spec.strategy', 'Unsupported value');
    });
    it('tags with a reserved key', async () => {
      await expectRejected(capture({ ...validCapture(), image: { name: 'web', tags: { 'imaging.eucalyptus.dev/owner': 'x' } } }), 'spec.image.tags', 'reserved');
    });
    const profile = (spec: Manifest): Manifest => ({
      apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: `bounds-${++seq}` },
      spec: { ec2Endpoint: 'https://ec2.cloud.example:8773/services/compute', credentialsSecretRef: { name: 'creds' }, ...spec },
    });
    it('a CloudProfile endpoint without a host', async () => {
      await expectRejected(profile({ ec2Endpoint: 'http://' }), 'spec.ec2Endpoint', 'with a host');
      await expectRejected(profile({ ec2Endpoint: 'https:///services/compute' }), 'spec.ec2Endpoint', 'with a host');
      await expectRejected(profile({ s3Endpoint: 'http://:8773/' }), 'spec.s3Endpoint', 'with a host');
    });
    it('a rate limit below 1 call per second or beyond the maxima', async () => {
      await expectRejected(profile({ rateLimit: { qps: 0 } }), 'spec.rateLimit.qps', 'should be greater than or equal to 1');
      await expectRejected(profile({ rateLimit: { qps: 0.5 } }), 'spec.rateLimit.qps');
      await expectRejected(profile({ rateLimit: { qps: 5000, burst: 100000 } }), 'spec.rateLimit.qps', 'spec.rateLimit.burst');
    });
    it('durations of zero, beyond a year, or beyond what CEL and JavaScript dates hold', async () => {
      await expectRejected(bundle({ ...validBundle(), uploadPolicyTTL: '0s' }), 'spec.uploadPolicyTTL', 'above 0s and at most 8760h');
      await expectRejected(bundle({ ...validBundle(), uploadPolicyTTL: '999999h' }), 'spec.uploadPolicyTTL', 'above 0s and at most 8760h');
      await expectRejected(bundle({ ...validBundle(), uploadPolicyTTL: '99999999999h' }), 'spec.uploadPolicyTTL');
      await expectRejected(capture({ ...validCapture(), timeout: '0s' }), 'spec.timeout', 'above 0s');
      await expectRejected(profile({ callTimeout: '9000h' }), 'spec.callTimeout', 'at most 8760h');
      expect((await create(profile({ callTimeout: '20s' }))).code).to.equal(0);
      expect((await create(bundle({ ...validBundle(), uploadPolicyTTL: '168h' }))).code).to.equal(0);
    });
    it('a tag key longer than Eucalyptus takes (127), a value over 255', async () => {
      await expectRejected(capture({ ...validCapture(), image: { name: 'web', tags: { ['k'.repeat(128)]: 'v' } } }), 'spec.image.tags', 'tag keys must be 1 to 127');
      await expectRejected(capture({ ...validCapture(), image: { name: 'web', tags: { team: 'v'.repeat(256) } } }), 'spec.image.tags', 'may not be more than 255');
      expect((await create(capture({ ...validCapture(), image: { name: 'web', tags: { ['k'.repeat(127)]: 'v'.repeat(255) } } }))).code).to.equal(0);
    });
    it('a resource name too long for the owner tag its cloud objects carry', async () => {
      await expectRejected(capture(validCapture(), 'n'.repeat(155)), 'metadata.name may have at most 154 characters');
      await expectRejected(bundle(validBundle(), 'n'.repeat(200)), 'owner tag');
      expect((await create(capture(validCapture(), 'n'.repeat(154)))).code).to.equal(0);
    });
    it('a CloudProfile endpoint that is not a URL', async () => {
      await expectRejected({
        apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: `bad-${++seq}` },
        spec: { ec2Endpoint: 'ftp://x', credentialsSecretRef: { name: 'creds' } },
      }, 'spec.ec2Endpoint');
    });
  });

  describe('identity fields are immutable (CEL transition rules)', () => {
    let name: string;
    before(async () => {
      name = `immutable-${++seq}`;
      const r = await create(capture({ ...validCapture(), strategy: 'CreateImage' }, name));
      expect(r.code, r.stderr).to.equal(0);
    });
    const cases: [string, Manifest, string][] = [
      ['instanceId', { instanceId: 'i-9A9B9C9D' }, 'instanceId is immutable: create a new ImageCapture to capture another instance'],
      ['image.name', { image: { name: 'another-name' } }, 'image.name is immutable'],
      ['strategy', { strategy: 'Orchestrated' }, 'strategy is immutable'],
      ['cloudRef (added)', { cloudRef: { name: 'other' } }, 'cloudRef is immutable'],
    ];
    for (const [field, change, message] of cases) {
      it(`refuses a changed ${field}`, async () => {
        const r = await patch('imagecapture', name, { spec: change });
        expect(r.code, `${field} change accepted`).to.not.equal(0);
        expect(r.stderr).to.contain(message);
        expect(r.stderr).to.contain(`spec.${field.split(' ')[0]}`);
      });
    }
    const shaping: [string, Manifest, string][] = [
      ['noReboot', { noReboot: true }, 'noReboot is immutable'],
      ['includeAttachedVolumes', { includeAttachedVolumes: false }, 'includeAttachedVolumes is immutable'],
      ['blockDeviceMappings (added)', { blockDeviceMappings: [{ deviceName: '/dev/sdc', noDevice: true }] }, 'blockDeviceMappings is immutable'],
      ['image.description (added)', { image: { description: 'new text' } }, 'image.description is immutable'],
    ];
    for (const [field, change, message] of shaping) {
      it(`refuses a changed ${field}: it cannot act once the capture has started`, async () => {
        const r = await patch('imagecapture', name, { spec: change });
        expect(r.code, `${field} change accepted`).to.not.equal(0);
        expect(r.stderr).to.contain(message);
      });
    }
    it('accepts changes to the fields that act on an existing capture: tags, deletionPolicy, timeout', async () => {
      const r = await patch('imagecapture', name, { spec: { deletionPolicy: 'Delete', timeout: '3h', image: { tags: { team: 'web' } } } });
      expect(r.code, r.stderr).to.equal(0);
    });
    it('freezes timeout once the capture is Available, and keeps tags and deletionPolicy mutable', async () => {
      const done = `frozen-${++seq}`;
      expect((await create(capture(validCapture(), done))).code).to.equal(0);
      const generation = ((await getJson('imagecapture', done)).metadata as { generation: number }).generation;
      const status = markReady({ phase: 'Available', imageId: 'emi-1A2B3C4D', observedGeneration: generation } as ImageCaptureStatus, 'available', generation);
      expect((await patch('imagecapture', done, { status }, 'status')).code).to.equal(0);
      const timeout = await patch('imagecapture', done, { spec: { timeout: '5h' } });
      expect(timeout.code).to.not.equal(0);
      expect(timeout.stderr).to.contain('spec.timeout').and.contain('timeout cannot change once the capture is Available');
      const ok = await patch('imagecapture', done, { spec: { deletionPolicy: 'Delete', image: { tags: { team: 'db' } } } });
      expect(ok.code, ok.stderr).to.equal(0);
    });
    it('refuses a changed InstanceBundle storage, register and upload policy TTL', async () => {
      const b = `immutable-${++seq}`;
      expect((await create(bundle({ ...validBundle(), register: { name: 'bundled-web' } }, b))).code).to.equal(0);
      const storage = await patch('instancebundle', b, { spec: { storage: { bucket: 'elsewhere' } } });
      expect(storage.stderr).to.contain('spec.storage').and.contain('storage is immutable');
      const reg = await patch('instancebundle', b, { spec: { register: { name: 'renamed' } } });
      expect(reg.stderr).to.contain('spec.register.name').and.contain('register.name is immutable');
      const arch = await patch('instancebundle', b, { spec: { register: { architecture: 'x86_64' } } });
      expect(arch.stderr).to.contain('spec.register').and.contain('register is immutable');
      const removed = await patch('instancebundle', b, { spec: { register: null } });
      expect(removed.stderr).to.contain('register is immutable');
      const ttl = await patch('instancebundle', b, { spec: { uploadPolicyTTL: '6h' } });
      expect(ttl.stderr).to.contain('uploadPolicyTTL is immutable');
      const ok = await patch('instancebundle', b, { spec: { deletionPolicy: 'Delete', timeout: '4h' } });
      expect(ok.code, ok.stderr).to.equal(0);
    });
  });

  describe('status and printer columns', () => {
    it('shows a new object as Pending and not yet observed before any controller wrote status (CRD status default)', async () => {
      const name = `fresh-${++seq}`;
      const created = await kubectl(['create', '-n', ns, '-f', '-', '-o', 'json'], stringify(capture(validCapture(), name)));
      expect(created.code, created.stderr).to.equal(0);
      // The create response itself, every read and the watch all carry the default.
      expect((JSON.parse(created.stdout) as Manifest).status).to.deep.equal({ observedGeneration: 0, phase: 'Pending' });
      expect((await getJson('imagecapture', name)).status).to.deep.equal({ observedGeneration: 0, phase: 'Pending' });
      const row = (await kubectl(['get', '-n', ns, 'icap', name, '--no-headers'])).stdout.trim().split(/\s+/);
      expect(row.slice(0, 3)).to.deep.equal([name, 'i-1A2B3C4D', 'Pending']);
      const profile = `fresh-${++seq}`;
      expect((await create({
        apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: profile },
        spec: { ec2Endpoint: 'http://127.0.0.1:8773/services/compute', credentialsSecretRef: { name: 'creds' } },
      })).code).to.equal(0);
      expect((await getJson('cloudprofile', profile)).status).to.deep.equal({ observedGeneration: 0 });
      const b = `fresh-${++seq}`;
      expect((await create(bundle(validBundle(), b))).code).to.equal(0);
      expect((await getJson('instancebundle', b)).status).to.deep.equal({ observedGeneration: 0, phase: 'Pending' });
    });
    it('kubectl get -w prints a phase in the first row of a new object', async () => {
      const name = `watched-${++seq}`;
      const watcher = spawn(join(env.binDir, 'kubectl'), ['--kubeconfig', env.kubeconfigPath, 'get', '-n', ns, 'icap', '-w', '--no-headers', `--field-selector=metadata.name=${name}`]);
      let out = '';
      watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await new Promise((r) => setTimeout(r, 1_000)); // the watch is open before the create
        expect((await create(capture(validCapture(), name))).code).to.equal(0);
        await waitFor(async () => out.includes(name), { timeoutMs: 15_000, message: 'watch row' });
      } finally {
        watcher.kill();
      }
      const first = out.trim().split('\n')[0]!.trim().split(/\s+/);
      expect(first.slice(0, 3)).to.deep.equal([name, 'i-1A2B3C4D', 'Pending']);
    });
    it('kubectl explain describes spec, nested fields and status, with immutability and defaults', async () => {
      const spec = await kubectl(['explain', 'imagecapture.spec']);
      expect(spec.code, spec.stderr).to.equal(0);
      expect(spec.stdout).to.contain('Which instance to capture');
      const noReboot = await kubectl(['explain', 'imagecapture.spec.noReboot']);
      expect(noReboot.stdout).to.contain('Immutable').and.contain('Default: false.');
      const phase = await kubectl(['explain', 'instancebundle.status.phase']);
      expect(phase.stdout).to.contain('Bundling (the cloud bundles and stores)');
      const qps = await kubectl(['explain', 'cloudprofile.spec.rateLimit.qps']);
      expect(qps.stdout).to.contain('Default: 10.');
    });
    it('accepts the status the condition helpers write, and kubectl get shows it', async () => {
      const name = `printed-${++seq}`;
      expect((await create(capture(validCapture(), name))).code).to.equal(0);
      const obj = await getJson('imagecapture', name);
      const generation = (obj.metadata as { generation: number }).generation;
      const available: ImageCaptureStatus = { phase: 'Available', imageId: 'emi-1A2B3C4D', progress: 100, observedGeneration: generation };
      const status = markReady(available, 'image emi-1A2B3C4D is available', generation);
      const r = await patch('imagecapture', name, { status }, 'status');
      expect(r.code, r.stderr).to.equal(0);

      const table = await kubectl(['get', '-n', ns, 'icap', name]);
      expect(table.code, table.stderr).to.equal(0);
      const [header, row] = table.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
      expect(header).to.deep.equal(['NAME', 'INSTANCE', 'PHASE', 'PROGRESS', 'IMAGE', 'READY', 'REASON', 'AGE']);
      expect(row!.slice(0, 7)).to.deep.equal([name, 'i-1A2B3C4D', 'Available', '100', 'emi-1A2B3C4D', 'True', 'Succeeded']);

      const wide = await kubectl(['get', '-n', ns, 'icap', name, '-o', 'wide']);
      expect(wide.stdout.split('\n')[0]).to.match(/REASON\s+STRATEGY\s+AGE/);
      const waited = await kubectl(['wait', '-n', ns, `imagecapture/${name}`, '--for=condition=Ready', '--timeout=10s']);
      expect(waited.code, waited.stderr).to.equal(0);
    });
    it('rejects a status outside the schema', async () => {
      const name = `badstatus-${++seq}`;
      expect((await create(capture(validCapture(), name))).code).to.equal(0);
      const r = await patch('imagecapture', name, { status: { phase: 'Exploded', progress: 140 } }, 'status');
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain('status.phase').and.contain('status.progress');
    });
    it('shows InstanceBundle and CloudProfile columns and the shared category', async () => {
      const ib = await kubectl(['get', '-n', ns, 'ibun']);
      expect(ib.stdout.split('\n')[0]!.trim().split(/\s+/)).to.deep.equal(['NAME', 'INSTANCE', 'BUCKET', 'PHASE', 'STATE', 'PROGRESS', 'IMAGE', 'READY', 'REASON', 'AGE']);
      const ibWide = await kubectl(['get', '-n', ns, 'ibun', '-o', 'wide']);
      expect(ibWide.stdout.split('\n')[0]).to.match(/REASON\s+PREFIX\s+BUNDLE\s+AGE/);
      const cp = await kubectl(['get', '-n', ns, 'cprof']);
      expect(cp.stdout.split('\n')[0]!.trim().split(/\s+/)).to.deep.equal(['NAME', 'ENDPOINT', 'REGION', 'DIALECT', 'READY', 'REASON', 'AGE']);
      const all = await kubectl(['get', '-n', ns, 'eucalyptus-imaging', '-o', 'name']);
      expect(all.stdout).to.contain('imagecapture.imaging.eucalyptus.dev/defaults')
        .and.contain('instancebundle.imaging.eucalyptus.dev/defaults').and.contain('cloudprofile.imaging.eucalyptus.dev/defaults');
    });
  });
});
