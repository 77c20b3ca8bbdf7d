// Status conformance with the real judges: every version the API server stores of live objects, through
// create, progress, edit (with the operator running and while it is down), stall and delete, is judged by kstatus
// (cli-utils' Compute, in Go), by Argo CD (the kind's health.lua in Argo CD's Lua environment) and by
// `kubectl wait`; each must agree with what the operator is really doing at that version.
import { expect } from 'chai';
import { stringify } from 'yaml';
import { API_VERSION } from '../../../src/api/constants.ts';
import { summarize } from '../../../src/api/conditions.ts';
import { seedInstance, captureManifest } from '../imagecapture/helpers.ts';
import { BUNDLE_FIXTURES, bundleManifest, bundleObjects, seed } from '../instancebundle/helpers.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { argocd, kstatus, Recorder, type Stored } from './judges.ts';

interface Truth { kstatus: string; argocd: string }

/**
 * What the operator is doing at this version: deleting; not yet looking at this generation; stopped and saying
 * why (a Stalled condition: a refusal); done (phase Available, also while its CloudProfile is gone: the image
 * exists, the condition CloudProfileReady=False says what the operator cannot do; or a Ready CloudProfile, which
 * has no phase); otherwise working.
 */
function truth(v: Stored): Truth {
  if (v.metadata.deletionTimestamp) return { kstatus: 'Terminating', argocd: 'Progressing' };
  if (v.status?.observedGeneration !== v.metadata.generation) return { kstatus: 'InProgress', argocd: 'Progressing' };
  const stopped = v.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True');
  const done = stopped ? 'Stalled'
    : v.kind === 'CloudProfile' ? summarize(v.status, v.metadata.generation)
      : v.status?.phase === 'Available' ? 'Ready' : 'Reconciling';
  if (done === 'Ready') return { kstatus: 'Current', argocd: 'Healthy' };
  if (done === 'Stalled') return { kstatus: 'Failed', argocd: 'Degraded' };
  return { kstatus: 'InProgress', argocd: 'Progressing' };
}

describe('status conformance: kstatus, Argo CD and kubectl wait over every stored version', function () {
  this.timeout(240_000);
  let s: Scenario;
  let rec: Recorder;
  const judged: Array<{ v: Stored; truth: Truth; kstatus: string; argocd: string }> = [];

  const kubectl = (args: string[], input?: string) => s.env.kubectl(['-n', s.namespace, ...args], input === undefined ? {} : { input });
  const patch = (resource: string, body: unknown) => kubectl(['patch', resource, '--type', 'merge', '-p', JSON.stringify(body)]);
  const wait = (resource: string, condition: string, timeout: string) => kubectl(['wait', resource, `--for=${condition}`, `--timeout=${timeout}`]);

  const profile = (name: string, secret = `${s.cloudName}-credentials`) => stringify({
    apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name },
    spec: { ec2Endpoint: s.sim.url, s3Endpoint: s.sim.s3Url, credentialsSecretRef: { name: secret } },
  });

  /** Judges every version recorded so far for `name` and checks all agree with the truth. */
  async function judge(name: string): Promise<Stored[]> {
    const versions = rec.of(name);
    const [ks, ac] = await Promise.all([kstatus(versions), argocd(versions)]);
    versions.forEach((v, i) => {
      const t = truth(v);
      const at = `${v.kind}/${name} rv ${v.metadata.resourceVersion} gen ${v.metadata.generation} status ${JSON.stringify(v.status)}`;
      expect(ks[i]?.status, `kstatus at ${at}: ${ks[i]?.message ?? ks[i]?.error}`).to.equal(t.kstatus);
      expect(ac[i]?.status, `Argo CD at ${at}: ${ac[i]?.message ?? ac[i]?.error}`).to.equal(t.argocd);
      judged.push({ v, truth: t, kstatus: ks[i]!.status!, argocd: ac[i]!.status! });
    });
    return versions;
  }

  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', fixtures: BUNDLE_FIXTURES });
    rec = await Recorder.start(s.env.kubeConfig, s.namespace, ['imagecaptures', 'instancebundles', 'cloudprofiles']);
    // Slow enough that progress is stored at several versions.
    s.sim.state.latency = { ...s.sim.state.latency, snapshotMs: 1_500, imageMs: 500, bundleStepMs: 400 };
  });
  after(async () => {
    rec?.stop();
    await s?.close();
  });

  it('an ImageCapture: in progress from its first version, Ready when registered, acknowledged edits, deleted', async () => {
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'CreateImage' });
    const name = m.metadata.name;
    await s.create('imagecaptures', m);
    expect((await wait(`imagecapture/${name}`, 'condition=Ready', '90s')).code).to.equal(0);
    const created = await judge(name);
    // The first stored version has only the CRD's default status: not yet observed, so in progress everywhere.
    expect(created[0]!.status).to.deep.equal({ observedGeneration: 0, phase: 'Pending' });
    expect(created.some((v) => v.status?.phase === 'Snapshotting'), 'progress stored').to.equal(true);

    // An edit that needs no cloud work is acknowledged: generation 2 observed on status and every condition.
    expect((await patch(`imagecapture/${name}`, { spec: { deletionPolicy: 'Delete', image: { tags: { team: 'web' } } } })).code).to.equal(0);
    expect((await wait(`imagecapture/${name}`, 'jsonpath={.status.observedGeneration}=2', '30s')).code).to.equal(0);
    const ready = await wait(`imagecapture/${name}`, 'condition=Ready', '30s');
    expect(ready.code, ready.stderr).to.equal(0);
    const afterEdit = (await judge(name)).at(-1)!;
    expect(afterEdit.status!.conditions!.every((c) => c.observedGeneration === 2)).to.equal(true);

    // An edit while the operator is down stays in progress (not Current, not Ready) until it is back.
    await s.operator!.stop();
    try {
      expect((await patch(`imagecapture/${name}`, { spec: { image: { tags: { team: 'db' } } } })).code).to.equal(0);
      const notYet = await wait(`imagecapture/${name}`, 'condition=Ready', '3s');
      expect(notYet.code, 'kubectl wait must not take an old Ready for the new generation').to.not.equal(0);
    } finally {
      s.operator = await s.startOperator();
    }
    expect((await wait(`imagecapture/${name}`, 'condition=Ready', '60s')).code).to.equal(0);
    expect((await wait(`imagecapture/${name}`, 'jsonpath={.status.observedGeneration}=3', '5s')).code).to.equal(0);

    const imageId = created.at(-1)!.status!.imageId!;
    await s.remove('imagecaptures', name);
    expect((await wait(`imagecapture/${name}`, 'delete', '60s')).code).to.equal(0);
    expect(s.sim.state.images.get(imageId)?.state ?? 'deregistered', 'deletionPolicy Delete, edited in, took effect').to.equal('deregistered');
    const all = await judge(name);
    expect(all.some((v) => v.metadata.deletionTimestamp), 'a version during deletion').to.equal(true);
    expect(all.some((v) => v.metadata.generation === 3 && v.status?.observedGeneration === 2), 'the version the operator had not seen').to.equal(true);
  });

  it('an Orchestrated ImageCapture (reboot, snapshots, register) under Retain: every phase judged, then deleted', async () => {
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated' });
    const name = m.metadata.name;
    await s.create('imagecaptures', m);
    expect((await wait(`imagecapture/${name}`, 'condition=Ready', '90s')).code).to.equal(0);
    await s.remove('imagecaptures', name);
    expect((await wait(`imagecapture/${name}`, 'delete', '60s')).code).to.equal(0);
    const phases = new Set((await judge(name)).map((v) => v.status?.phase));
    for (const p of ['Pending', 'Quiescing', 'Snapshotting', 'Available']) expect(phases.has(p), `phase ${p} stored`).to.equal(true);
  });

  it('a refused ImageCapture: Stalled with its reason, and Stalled again after an edit', async () => {
    const m = captureManifest(s, 'i-0DEADBEEF', {});
    const name = m.metadata.name;
    await s.create('imagecaptures', m);
    expect((await wait(`imagecapture/${name}`, 'condition=Stalled', '60s')).code).to.equal(0);
    expect((await wait(`imagecapture/${name}`, 'jsonpath={.status.phase}=Failed', '5s')).code).to.equal(0);
    expect((await kubectl(['get', `imagecapture/${name}`, '--no-headers'])).stdout).to.match(/Failed\s+.*False\s+InstanceNotFound/);
    expect((await patch(`imagecapture/${name}`, { spec: { image: { tags: { retry: '1' } } } })).code).to.equal(0);
    expect((await wait(`imagecapture/${name}`, 'jsonpath={.status.observedGeneration}=2', '30s')).code).to.equal(0);
    expect((await wait(`imagecapture/${name}`, 'condition=Stalled', '5s')).code).to.equal(0);
    const versions = await judge(name);
    expect(versions.at(-1)!.status!.conditions!.find((c) => c.type === 'Stalled')).to.include({ status: 'True', reason: 'InstanceNotFound', observedGeneration: 2 });
  });

  it('an InstanceBundle: Available, an edited deletionPolicy acknowledged, deleted', async () => {
    const m = bundleManifest(s, seed(s, { platform: 'linux' }).id, {});
    const name = m.metadata.name;
    await s.create('instancebundles', m);
    expect((await wait(`instancebundle/${name}`, 'condition=Ready', '90s')).code).to.equal(0);
    expect((await patch(`instancebundle/${name}`, { spec: { deletionPolicy: 'Delete' } })).code).to.equal(0);
    expect((await wait(`instancebundle/${name}`, 'jsonpath={.status.observedGeneration}=2', '30s')).code).to.equal(0);
    expect((await wait(`instancebundle/${name}`, 'condition=Ready', '5s')).code).to.equal(0);
    await s.remove('instancebundles', name);
    expect((await wait(`instancebundle/${name}`, 'delete', '60s')).code).to.equal(0);
    const versions = await judge(name);
    expect(versions[0]!.status).to.deep.equal({ observedGeneration: 0, phase: 'Pending' });
    expect(versions.some((v) => v.status?.phase === 'Bundling')).to.equal(true);
    expect(bundleObjects(s, 'bundles', name), 'deletionPolicy Delete, edited in, took effect').to.deep.equal([]);
  });

  it('CloudProfiles: Ready, and Stalled on a missing Secret', async () => {
    expect((await kubectl(['create', '-f', '-'], profile('conformance-ok', `${s.cloudName}-credentials`))).code).to.equal(0);
    expect((await kubectl(['create', '-f', '-'], profile('conformance-nosecret', 'missing'))).code).to.equal(0);
    expect((await wait('cloudprofile/conformance-ok', 'condition=Ready', '60s')).code).to.equal(0);
    expect((await wait('cloudprofile/conformance-nosecret', 'condition=Stalled', '60s')).code).to.equal(0);
    await judge('conformance-ok');
    const stalled = await judge('conformance-nosecret');
    expect(stalled.at(-1)!.status!.conditions!.find((c) => c.type === 'Stalled')?.reason).to.equal('CredentialsSecretNotFound');
  });

  it('a missing CloudProfile: an Available capture stays done with a condition; its deletion is Deleting with the step, in progress everywhere, done once it is back', async () => {
    expect((await kubectl(['create', '-f', '-'], profile('conformance-blocked'))).code).to.equal(0);
    expect((await wait('cloudprofile/conformance-blocked', 'condition=Ready', '60s')).code).to.equal(0);
    const m = captureManifest(s, seedInstance(s).id, { strategy: 'CreateImage', deletionPolicy: 'Delete' });
    m.spec.cloudRef = { name: 'conformance-blocked' };
    const name = m.metadata.name;
    await s.create('imagecaptures', m);
    expect((await wait(`imagecapture/${name}`, 'condition=Ready', '90s')).code).to.equal(0);
    // Deleted and then forced out by hand (its in-use protection finalizer removed): the profile is really gone.
    expect((await kubectl(['delete', '--wait=false', 'cloudprofile/conformance-blocked'])).code).to.equal(0);
    expect((await kubectl(['patch', 'cloudprofile/conformance-blocked', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]'])).code).to.equal(0);
    // The finished capture keeps its Ready image and says the profile is gone: done for every judge, not Failed.
    expect((await wait(`imagecapture/${name}`, 'condition=CloudProfileReady=False', '30s')).code).to.equal(0);
    const orphaned = (await judge(name)).at(-1)!;
    expect(orphaned.status!.phase).to.equal('Available');
    expect(orphaned.status!.conditions!.find((c) => c.type === 'CloudProfileReady')).to.include({ reason: 'CloudProfileNotFound' });
    expect(orphaned.status!.conditions!.find((c) => c.type === 'Stalled')?.status).to.not.equal('True');
    expect((await kstatus([orphaned]))[0]).to.include({ status: 'Current' });
    expect((await wait(`imagecapture/${name}`, 'condition=Ready', '5s')).code).to.equal(0);
    await s.remove('imagecaptures', name);
    expect((await wait(`imagecapture/${name}`, 'jsonpath={.status.phase}=Deleting', '60s')).code).to.equal(0);
    const blocked = (await judge(name)).at(-1)!;
    expect(blocked.metadata.deletionTimestamp).to.be.a('string');
    const [verdict] = await argocd([blocked]);
    expect(verdict!.message).to.match(/^Deleting: deletion waits while waiting for CloudProfile conformance-blocked/);
    expect((await kubectl(['create', '-f', '-'], profile('conformance-blocked'))).code).to.equal(0);
    expect((await wait(`imagecapture/${name}`, 'delete', '90s')).code).to.equal(0);
    await judge(name);
  });

  it('a resource no operator looks at is in progress for every judge, never Current or Ready', async () => {
    const ns = await s.env.newNamespace('unwatched');
    const manifest = stringify({ apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name: 'orphan', namespace: ns }, spec: { instanceId: 'i-1A2B3C4D', image: { name: 'orphan-image' } } });
    const created = await s.env.kubectl(['create', '-o', 'json', '-f', '-'], { input: manifest });
    expect(created.code, created.stderr).to.equal(0);
    const obj = JSON.parse(created.stdout) as Stored;
    expect((await kstatus([obj]))[0]).to.include({ status: 'InProgress' });
    expect((await argocd([obj]))[0]).to.include({ status: 'Progressing' });
    expect((await s.env.kubectl(['wait', '-n', ns, 'imagecapture/orphan', '--for=condition=Ready', '--timeout=2s'])).code).to.not.equal(0);
  });

  it('judged every kind through every verdict', () => {
    const seen = (f: (j: (typeof judged)[number]) => string) => new Set(judged.map(f));
    expect(seen((j) => j.kstatus)).to.deep.equal(new Set(['InProgress', 'Current', 'Failed', 'Terminating']));
    expect(seen((j) => j.argocd)).to.deep.equal(new Set(['Progressing', 'Healthy', 'Degraded']));
    expect(seen((j) => j.v.kind)).to.deep.equal(new Set(['ImageCapture', 'InstanceBundle', 'CloudProfile']));
    console.log(`      judged ${judged.length} stored versions`);
  });
});
