// The Dockerfile's build performed without a container engine: its stages are read from the Dockerfile itself, so
// a change there is tested here. The run stage's folder then holds exactly what the image would, and its
// ENTRYPOINT must start with production dependencies only and fail cleanly on a bad kubeconfig.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { runCommand } from '../../env/index.ts';
import { repoRoot } from './chart.ts';
import type { Stage, StageResult } from './dockerfile.ts';
import { operatorImage } from './image.ts';

describe('Dockerfile', function () {
  this.timeout(600_000);
  let stages: Stage[];
  let workspace: string;
  let image: StageResult;

  before(async function () {
    ({ stages, image, workspace } = await operatorImage());
  });

  it('builds on the official Node 24 image in several stages and runs as uid 65532 with an exec-form ENTRYPOINT', function () {
    expect(stages.length).to.be.greaterThan(1);
    // Pinned by digest: a rebuild must not silently pick up a different base.
    for (const s of stages) expect(s.image).to.match(/^node:24(\.|-)[^@]*@sha256:[0-9a-f]{64}$/);
    expect(image.user).to.match(/^65532(:65532)?$/);
    expect(image.entrypoint).to.deep.equal(['node', 'dist/main.js']);
    const runs = stages.flatMap((s) => s.steps.filter((i) => i.op === 'RUN').map((i) => (i as { command: string }).command));
    expect(runs.some((c) => /npm ci\b(?!.*--omit=dev)/.test(c)), 'npm ci in the build stage').to.equal(true);
    expect(runs.some((c) => c.includes('npm run build')), 'npm run build').to.equal(true);
    const runStage = stages.at(-1)!.steps.filter((i) => i.op === 'RUN');
    expect(runStage, 'the run stage installs nothing: the bundle carries its dependencies').to.deep.equal([]);
  });

  it('leaves only the bundle in dist/ and package.json in the image', function () {
    const app = join(image.root, image.workdir);
    expect(existsSync(join(app, 'dist/main.js'))).to.equal(true);
    for (const absent of ['src', 'test', 'node_modules', 'build']) {
      expect(existsSync(join(app, absent)), `${absent} must not be in the image`).to.equal(false);
    }
  });

  const entrypoint = (args: string[]) => {
    const [cmd, ...rest] = image.entrypoint!;
    const pathWithNode = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
    return runCommand(cmd === 'node' ? process.execPath : cmd!, [...rest, ...args], {
      cwd: join(image.root, image.workdir),
      env: { ...image.env, PATH: pathWithNode, NODE_PATH: '', KUBECONFIG: '' },
      timeoutMs: 30_000,
    });
  };

  it('starts: --help prints the usage', async function () {
    const r = await entrypoint(['--help']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('--watch-namespaces');
  });

  it('loads every module and fails cleanly with a bad kubeconfig (no module-not-found)', async function () {
    const r = await entrypoint([`--kubeconfig=${join(workspace, 'no-such-kubeconfig')}`, '--health-port=0']);
    expect(r.code).to.not.equal(0);
    const output = r.stdout + r.stderr;
    expect(output).to.not.match(/ERR_MODULE_NOT_FOUND|Cannot find module|Cannot find package/);
    expect(output).to.contain('cannot start the operator').and.contain('no-such-kubeconfig');
  });

  it('ships the EC2 client with only the operations src/cloud/ec2-sdk.ts names', function () {
    const app = join(image.root, image.workdir);
    const code = readdirSync(join(app, 'dist')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(app, 'dist', f), 'utf8')).join('\n');
    expect(code).to.not.match(/from ["']@aws-sdk\/client-ec2["']/);
    const named = readFileSync(join(repoRoot, 'src/cloud/ec2-sdk.ts'), 'utf8').match(/\b\w+Command\b/g)!;
    for (const command of new Set(named)) expect(code, command).to.contain(`${command}=class extends`);
    // One of the 800-odd operations the operator never sends.
    expect(code).to.not.contain('CreateVpcCommand');
  });

  it('refuses a bad setting with a readable message', async function () {
    const r = await entrypoint(['--concurrency=many']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('--concurrency must be a whole number');
  });
});
