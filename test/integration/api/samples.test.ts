// Every sample manifest is accepted by the real API server as written (server-side dry run: schema, CEL).
import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getEnv, waitFor } from '../../env/index.ts';
import { GROUP } from '../../../src/api/constants.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('samples on a real API server', function () {
  this.timeout(120_000);

  it('every sample passes server-side validation', async () => {
    const env = await getEnv();
    const applied = await env.kubectl(['apply', '--server-side', '-f', join(root, 'crds')]);
    expect(applied.code, applied.stderr).to.equal(0);
    await waitFor(async () => {
      const r = await env.kubectl(['get', 'crd', `imagecaptures.${GROUP}`, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
      return r.stdout.trim() === 'True';
    }, { message: 'CRDs Established' });
    const ns = await env.newNamespace('samples');
    const files = (await readdir(join(root, 'samples'))).filter((f) => f.endsWith('.yaml'));
    expect(files.length).to.be.at.least(5);
    for (const f of files) {
      // Discovery of freshly installed kinds may lag a moment behind Established.
      const r = await waitFor(async () => {
        const res = await env.kubectl(['apply', '--dry-run=server', '-n', ns, '-f', join(root, 'samples', f)]);
        return res.code === 0 || !/no matches for kind|the server could not find/.test(res.stderr) ? res : undefined;
      }, { message: `apply ${f}` });
      expect(r.code, `${f}: ${r.stderr}`).to.equal(0);
    }
  });
});
