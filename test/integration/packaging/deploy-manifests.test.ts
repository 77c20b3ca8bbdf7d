// deploy/: plain manifests rendered from the chart, applied with `kubectl apply -k` (server dry run, then for
// real), and the drift check that fails when the chart, the CRDs or the Argo CD health checks changed without
// a re-render.
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { getEnv, runCommand, waitFor, type TestEnv } from '../../env/index.ts';
import { repoRoot } from './chart.ts';
import { canI, forbiddenIn, neededIn } from './rbac.ts';

const NS = 'eucalyptus-image-operator';
const deployDir = join(repoRoot, 'deploy');

describe('deploy/ plain manifests', function () {
  let env: TestEnv;

  before(async function () {
    this.timeout(180_000);
    env = await getEnv();
  });

  after(async function () {
    // The CRDs stay: other suites of the run use them.
    await env?.kubectl(['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
  });

  it('is up to date with the chart, the CRDs and the health checks (render-deploy.sh --check)', async function () {
    const r = await runCommand('bash', [join(repoRoot, 'scripts/render-deploy.sh'), '--check']);
    expect(r.code, r.stderr).to.equal(0);
  });

  it('applies with kubectl apply -k as a server-side dry run', async function () {
    // A dry run creates nothing, so the namespaced objects need their namespace to exist already.
    const created = await env.kubectl(['apply', '-f', join(deployDir, 'namespace.yaml')]);
    expect(created.code, created.stderr).to.equal(0);
    const r = await env.kubectl(['apply', '-k', deployDir, '--dry-run=server']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`deployment.apps/${NS} created (server dry run)`);
  });

  it('installs the operator for real with kubectl apply -k, and a second apply changes nothing', async function () {
    const r = await env.kubectl(['apply', '-k', deployDir]);
    expect(r.code, r.stderr).to.equal(0);
    const names = await waitFor(async () => {
      const got = await env.kubectl(['get', 'deployment,serviceaccount,service,role,rolebinding', '-n', NS, '-o', 'name']);
      return got.code === 0 && got.stdout.includes('deployment.apps/') ? got.stdout : undefined;
    }, { message: 'objects of deploy/' });
    expect(names.trim().split('\n')).to.include.members([
      `deployment.apps/${NS}`, `serviceaccount/${NS}`, `service/${NS}-metrics`,
      `role.rbac.authorization.k8s.io/${NS}-leader-election`, `rolebinding.rbac.authorization.k8s.io/${NS}-leader-election`,
    ]);
    const again = await env.kubectl(['apply', '-k', deployDir]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout.split('\n').filter((l) => l.trim() && !l.endsWith(' unchanged'))).to.deep.equal([]);
    const sa = { namespace: NS, name: NS };
    const elsewhere = await env.newNamespace('pkg-deploy');
    expect(await canI(env, sa, neededIn(elsewhere))).to.not.include(false);
    expect(await canI(env, sa, forbiddenIn(elsewhere))).to.not.include(true);
  });

  it('--check fails and names the file when a generated file was edited by hand', async function () {
    // A copy of the files the script reads, so the real tree is never touched.
    const tmp = mkdtempSync(join(tmpdir(), 'eio-render-'));
    try {
      for (const p of ['scripts/render-deploy.sh', 'scripts/versions.env', 'package.json', 'crds', 'charts', 'deploy', 'argocd']) {
        cpSync(join(repoRoot, p), join(tmp, p), { recursive: true });
      }
      const clean = await runCommand('bash', [join(tmp, 'scripts/render-deploy.sh'), '--check']);
      expect(clean.code, clean.stderr).to.equal(0);
      appendFileSync(join(tmp, 'deploy/operator.yaml'), '# hand edit\n');
      writeFileSync(join(tmp, 'charts/eucalyptus-image-operator/crds/imaging.eucalyptus.dev_imagecaptures.yaml'), 'stale: true\n');
      const drift = await runCommand('bash', [join(tmp, 'scripts/render-deploy.sh'), '--check']);
      expect(drift.code).to.equal(1);
      expect(drift.stderr).to.contain('deploy/operator.yaml').and.contain('crds/imaging.eucalyptus.dev_imagecaptures.yaml')
        .and.contain('run: bash scripts/render-deploy.sh');
      const fix = await runCommand('bash', [join(tmp, 'scripts/render-deploy.sh')]);
      expect(fix.code, fix.stderr).to.equal(0);
      expect((await runCommand('bash', [join(tmp, 'scripts/render-deploy.sh'), '--check'])).code).to.equal(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
