// The Argo CD health checks run in Argo CD's own health-script VM: test/tools/argocd-health links Argo CD's
// util/lua at the release pinned in scripts/versions.env and calls VM.ExecuteHealthLua, as the application
// controller does for a script from argocd-cm (built by scripts/build-go-tools.sh). Every fixture listed in each
// kind's health_test.yaml (Argo CD's own test layout), then every phase and every reason as the operator writes them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { runCommand } from '../../env/index.ts';
import { goTool } from '../../env/tool-paths.ts';
import { markReady, markReconciling, markStalled, Reasons, type Reason, type WithConditions } from '../../../src/api/conditions.ts';
import { API_VERSION } from '../../../src/api/constants.ts';
import { BUNDLE_PHASES } from '../../../src/api/schema/instancebundle.ts';
import { CAPTURE_PHASES } from '../../../src/api/schema/imagecapture.ts';
import { repoRoot } from './chart.ts';

const customizations = join(repoRoot, 'argocd/resource_customizations/imaging.eucalyptus.dev');
const KINDS = ['ImageCapture', 'InstanceBundle', 'CloudProfile', 'ImageSchedule'];

interface HealthTest { healthStatus: { status: string; message: string }; inputPath: string }
interface Outcome { status?: string; message?: string; error?: string }

async function argocd<T>(request: unknown): Promise<T> {
  const r = await runCommand(goTool('argocd-health'), [], { input: JSON.stringify(request) });
  if (r.code !== 0) throw new Error(`argocd-health failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Every case runs in a fresh VM, as Argo CD makes one per evaluation. */
const runHealth = (cases: Array<{ script: string; obj: unknown }>) => argocd<Outcome[]>({ cases });
/**
 * Runs Lua statements in the VM. Argo CD's one-second deadline can cut a tiny script short on a loaded machine; a
 * probe about libraries is then asked again (the deadline itself has its own test).
 */
async function probe(source: string, retries = 2): Promise<{ result?: string; error?: string }> {
  const out = await argocd<{ result?: string; error?: string }>({ probe: source });
  if (retries > 0 && /context deadline exceeded/.test(out.error ?? '')) return probe(source, retries - 1);
  return out;
}
const script = (kind: string) => join(customizations, kind, 'health.lua');

function testsOf(kind: string): Array<HealthTest & { script: string; obj: unknown }> {
  const dir = join(customizations, kind);
  const spec = parse(readFileSync(join(dir, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] };
  return spec.tests.map((t) => ({ ...t, script: script(kind), obj: parse(readFileSync(join(dir, t.inputPath), 'utf8')) }));
}

describe('Argo CD health checks (Argo CD\'s own Lua VM)', function () {
  this.timeout(300_000); // a fresh machine builds the VM first

  describe('the VM is Argo CD\'s own (util/lua), and holds what Argo CD\'s code opens', () => {
    it('has the base, package and table libraries; os only through require("os"), with time and date', async () => {
      expect(await probe('return type(ipairs) .. type(pairs) .. type(tostring) .. type(pcall) .. type(table.insert) .. type(require)')).to.deep.equal({ result: 'functionfunctionfunctionfunctionfunctionfunction' });
      const osNames = await probe('local n = {} for k in pairs(require("os")) do table.insert(n, k) end table.sort(n) return table.concat(n, ",")');
      expect(osNames).to.deep.equal({ result: 'date,time' });
      // Argo CD registers its safe os functions under the table library's name (util/lua/oslib_safe.go), so a
      // script that uses the global os fails.
      expect(await probe('return tostring(os)')).to.deep.equal({ result: 'nil' });
    });
    it('has no string, math, io, debug, coroutine or channel library', async () => {
      for (const lib of ['string', 'math', 'io', 'debug', 'coroutine', 'channel']) {
        expect(await probe(`return tostring(${lib})`), lib).to.deep.equal({ result: 'nil' });
      }
      // String methods go through the string library's metatable: absent too.
      expect((await probe('return ("x"):upper()')).error).to.match(/attempt to (index|call)/);
    });
    it('stops a script that runs past Argo CD\'s one-second deadline', async () => {
      const started = Date.now();
      const out = await probe('while true do end', 0);
      expect(out.error).to.match(/context deadline exceeded/);
      expect(Date.now() - started).to.be.below(10_000);
    });
  });

  it('has a health.lua, a health_test.yaml and fixtures for every kind, and lists every fixture', function () {
    for (const kind of KINDS) {
      const dir = join(customizations, kind);
      expect(existsSync(join(dir, 'health.lua')), `${kind}/health.lua`).to.equal(true);
      const listed = testsOf(kind).map((t) => t.inputPath).sort();
      const present = readdirSync(join(dir, 'testdata')).map((f) => `testdata/${f}`).sort();
      expect(listed, `${kind}: fixtures in testdata/ not listed in health_test.yaml`).to.deep.equal(present);
      for (const t of testsOf(kind)) expect((t.obj as { kind: string }).kind, t.inputPath).to.equal(kind);
    }
  });

  for (const kind of KINDS) {
    it(`${kind}: every fixture gets the expected status and message`, async function () {
      const tests = testsOf(kind);
      const outcomes = await runHealth(tests.map(({ script: s, obj }) => ({ script: s, obj })));
      tests.forEach((t, i) => {
        expect(outcomes[i], `${kind} ${t.inputPath}`).to.deep.equal({ status: t.healthStatus.status, message: t.healthStatus.message });
      });
      // Every Argo CD health state the script can produce is exercised.
      const states = ['Healthy', 'Progressing', 'Degraded', ...(kind === 'ImageSchedule' ? ['Suspended'] : [])];
      expect(new Set(tests.map((t) => t.healthStatus.status))).to.deep.equal(new Set(states));
    });
  }

  describe('every phase and every reason, as the operator\'s condition helpers write them', () => {
    const STALL_REASONS: Reason[] = [
      'InstanceNotFound', 'InstanceNotOwned', 'InvalidInstanceState', 'InvalidImageName', 'DuplicateImageName', 'InvalidBlockDeviceMapping',
      'UnsupportedByCloud', 'Timeout', 'CloudProfileNotFound', 'CredentialsSecretNotFound', 'CredentialsSecretInvalid', 'CredentialsRejected',
      'S3SignatureRejected', 'SnapshotFailed', 'ImageFailed', 'BundleFailed', 'BucketNotFound', 'StorageInUse', 'ImageDeregistered', 'CloudRejected',
      'BootVerificationFailed', 'InvalidBootVerification', 'CABundleInvalid', 'EndpointNotAllowed', 'ImageNotOwned', 'SnapshotNotOwned', 'BundleNotOwned', 'ExceedsCloudLimits',
      'CloudChanged',
    ];
    const WORKING_REASONS: Reason[] = [
      'Validating', 'Rebooting', 'CreatingSnapshots', 'WaitingForSnapshots', 'CreatingImage', 'WaitingForImage', 'Bundling',
      'Registering', 'Throttled', 'CloudUnreachable', 'Deleting', 'Cancelling', 'InstanceTransitioning', 'WaitingForCloud', 'CleanupRefused',
      'VerifyingBoot',
    ];
    /** Reasons only a step condition carries (never Ready, Reconciling or Stalled). */
    const STEP_ONLY_REASONS: Reason[] = ['Rebooted', 'NoReboot', 'WasStopped', 'Starting', 'ImageDiffers', 'Pending', 'Retrying', 'ProbeFailed', 'InUse'];
    /** ImageSchedule's own reasons (its health is judged in the ImageSchedule cases). */
    const SCHEDULE_REASONS: Reason[] = [
      'InvalidSchedule', 'InvalidTimeZone', 'InvalidTemplate', 'InvalidRetention', 'InvalidInstances', 'Scheduled', 'Suspended', 'LastRunFailed', 'NoInstancesMatched',
    ];
    const obj = (kind: string, status: object, extra: Record<string, unknown> = {}) => ({
      apiVersion: API_VERSION, kind, metadata: { name: 'x', namespace: 'ns', generation: 2, ...extra }, spec: {}, status: { observedGeneration: 2, ...status },
    });

    it('lists every reason the operator defines', () => {
      const all = new Set<string>([...STALL_REASONS, ...WORKING_REASONS, ...STEP_ONLY_REASONS, ...SCHEDULE_REASONS, 'Succeeded', 'InProgress']);
      for (const r of Object.values(Reasons)) expect(all.has(r), r).to.equal(true);
    });

    type Phased = WithConditions & { phase: string };
    for (const kind of ['ImageCapture', 'InstanceBundle']) {
      it(`${kind}: Stalled reasons are Degraded, working reasons Progressing, Ready Healthy, in every phase`, async () => {
        const phases: readonly string[] = kind === 'ImageCapture' ? CAPTURE_PHASES : BUNDLE_PHASES;
        const cases: Array<{ obj: unknown; want: Outcome }> = [];
        for (const reason of STALL_REASONS) {
          cases.push({ obj: obj(kind, markStalled<Phased>({ phase: 'Failed' }, reason, `what to do about ${reason}`, 2)), want: { status: 'Degraded', message: `${reason}: what to do about ${reason}` } });
        }
        for (const phase of phases.filter((p) => !['Available', 'Failed'].includes(p))) {
          for (const reason of WORKING_REASONS) {
            const o = obj(kind, { ...markReconciling<Phased>({ phase }, reason, `step ${reason}`, 2), progress: 40 }, phase === 'Deleting' ? { deletionTimestamp: '2026-11-30T09:00:00Z' } : {});
            const message = phase === 'Deleting' ? `Deleting: step ${reason}` : `${reason}: step ${reason} (40%)`;
            cases.push({ obj: o, want: { status: 'Progressing', message } });
          }
          // Not yet observed in this phase (an edit the operator has not looked at): Progressing.
          cases.push({ obj: { ...obj(kind, markReconciling<Phased>({ phase }, 'Validating', 'v', 1)), status: { ...markReconciling<Phased>({ phase }, 'Validating', 'v', 1), observedGeneration: 1 } }, want: { status: 'Progressing', message: 'Waiting for the operator to observe generation 2' } });
        }
        cases.push({ obj: obj(kind, { ...markReady<Phased>({ phase: 'Available' }, 'done', 2), imageId: 'emi-12345678', manifestLocation: 'b/p.manifest.xml' }), want: { status: 'Healthy', message: 'Image emi-12345678 is available' } });
        const outcomes = await runHealth(cases.map((c) => ({ script: script(kind), obj: c.obj })));
        cases.forEach((c, i) => expect(outcomes[i], JSON.stringify(c.obj)).to.deep.equal(c.want));
      });
    }
  });

  it('reports a Lua error instead of a status when a script uses a library Argo CD does not open', async function () {
    const broken = join(dirname(new URL(import.meta.url).pathname), 'fixtures', 'broken-health.lua');
    const [outcome] = await runHealth([{ script: broken, obj: { apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name: 'x', generation: 1 } } }]);
    expect(outcome?.error).to.match(/attempt to index a non-table object\(nil\)/);
  });

  it('reads an unknown health code as Unknown, as Argo CD does', async () => {
    const [outcome] = await runHealth([{ script: join(dirname(new URL(import.meta.url).pathname), 'fixtures', 'odd-health.lua'), obj: { apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name: 'x', generation: 1 } } }]);
    expect(outcome).to.deep.equal({ status: 'Unknown', message: 'Lua returned an invalid health status' });
  });

  it('the argocd-cm snippet holds each script verbatim under resource.customizations.health.<group>_<Kind>', function () {
    const snippet = parse(readFileSync(join(repoRoot, 'argocd/argocd-cm-health.yaml'), 'utf8')) as { data: Record<string, string> };
    for (const kind of KINDS) {
      expect(snippet.data[`resource.customizations.health.imaging.eucalyptus.dev_${kind}`]).to.equal(readFileSync(script(kind), 'utf8'));
    }
  });
});
