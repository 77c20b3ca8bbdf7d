// The Argo CD health checks run in a real Lua 5.1 VM (Argo CD embeds gopher-lua, a Lua 5.1 implementation) over
// every fixture listed in each kind's health_test.yaml, in Argo CD's own test layout.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { runCommand } from '../../env/index.ts';
import { repoRoot } from './chart.ts';

const customizations = join(repoRoot, 'argocd/resource_customizations/imaging.eucalyptus.dev');
const runner = join(repoRoot, 'test/integration/packaging/lua-health-runner.py');
const KINDS = ['ImageCapture', 'InstanceBundle', 'CloudProfile'];

interface HealthTest { healthStatus: { status: string; message: string }; inputPath: string }
interface Outcome { status?: string; message?: string; error?: string }

/** Runs every case in one Lua process (one VM per case); the venv comes from scripts/setup-lua.sh. */
async function runHealth(cases: Array<{ script: string; obj: unknown }>): Promise<Outcome[]> {
  const setup = await runCommand('bash', [join(repoRoot, 'scripts/setup-lua.sh')], { timeoutMs: 300_000 });
  if (setup.code !== 0) throw new Error(`scripts/setup-lua.sh failed: ${setup.stderr}`);
  const python = setup.stdout.trim().split('\n').at(-1)!;
  const r = await runCommand(python, [runner], { input: JSON.stringify({ cases }) });
  if (r.code !== 0) throw new Error(`Lua runner failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Outcome[];
}

function testsOf(kind: string): Array<HealthTest & { script: string; obj: unknown }> {
  const dir = join(customizations, kind);
  const spec = parse(readFileSync(join(dir, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] };
  return spec.tests.map((t) => ({ ...t, script: join(dir, 'health.lua'), obj: parse(readFileSync(join(dir, t.inputPath), 'utf8')) }));
}

describe('Argo CD health checks (Lua 5.1)', function () {
  this.timeout(300_000); // the first run installs the Lua VM

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
      const outcomes = await runHealth(tests.map(({ script, obj }) => ({ script, obj })));
      tests.forEach((t, i) => {
        expect(outcomes[i], `${kind} ${t.inputPath}`).to.deep.equal({ status: t.healthStatus.status, message: t.healthStatus.message });
      });
      // Every Argo CD health state the script can produce is exercised.
      expect(new Set(tests.map((t) => t.healthStatus.status))).to.deep.equal(new Set(['Healthy', 'Progressing', 'Degraded']));
    });
  }

  it('reports a Lua error instead of a status when a script misbehaves (the runner is a real VM)', async function () {
    const broken = join(dirname(runner), 'fixtures', 'broken-health.lua');
    const [outcome] = await runHealth([{ script: broken, obj: { metadata: { generation: 1 } } }]);
    expect(outcome?.error).to.match(/attempt to (index|call)/);
  });

  it('the argocd-cm snippet holds each script verbatim under resource.customizations.health.<group>_<Kind>', function () {
    const snippet = parse(readFileSync(join(repoRoot, 'argocd/argocd-cm-health.yaml'), 'utf8')) as { data: Record<string, string> };
    for (const kind of KINDS) {
      expect(snippet.data[`resource.customizations.health.imaging.eucalyptus.dev_${kind}`]).to.equal(readFileSync(join(customizations, kind, 'health.lua'), 'utf8'));
    }
  });
});
