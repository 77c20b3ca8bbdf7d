import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, cp, writeFile, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { renderCrds } from '../../../src/api/render-crds.ts';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('scripts/gen-crds', function () {
  this.timeout(30_000);

  it('the committed CRDs are exactly what the schemas render', async () => {
    for (const { file, text } of renderCrds()) expect(await readFile(join(root, file), 'utf8'), file).to.equal(text);
  });

  it('renders one apiextensions.k8s.io/v1 CRD per kind, parseable YAML', () => {
    const files = renderCrds();
    expect(files.map((f) => f.file)).to.deep.equal([
      'crds/imaging.eucalyptus.dev_imagecaptures.yaml',
      'crds/imaging.eucalyptus.dev_instancebundles.yaml',
      'crds/imaging.eucalyptus.dev_cloudprofiles.yaml',
      'crds/imaging.eucalyptus.dev_imageschedules.yaml',
    ]);
    for (const f of files) expect(parse(f.text)).to.include({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' });
  });

  describe('--check', () => {
    let copy: string;
    before(async () => {
      copy = await mkdtemp(join(tmpdir(), 'gen-crds-'));
      for (const dir of ['scripts', 'src/api', 'crds']) await cp(join(root, dir), join(copy, dir), { recursive: true });
      await cp(join(root, 'package.json'), join(copy, 'package.json'));
      await symlink(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    });
    after(async () => rm(copy, { recursive: true, force: true }));

    it('passes on the committed files and fails after a hand edit', async () => {
      await run(process.execPath, [join(copy, 'scripts/gen-crds.ts'), '--check']);
      const file = join(copy, 'crds/imaging.eucalyptus.dev_imagecaptures.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('default: 2h', 'default: 3h'));
      const err = await run(process.execPath, [join(copy, 'scripts/gen-crds.ts'), '--check']).then(() => undefined, (e: { code: number; stderr: string }) => e);
      expect(err?.code).to.equal(1);
      expect(err?.stderr).to.contain('imaging.eucalyptus.dev_imagecaptures.yaml');
      await run(process.execPath, [join(copy, 'scripts/gen-crds.ts')]);
      await run(process.execPath, [join(copy, 'scripts/gen-crds.ts'), '--check']);
    });
  });
});
