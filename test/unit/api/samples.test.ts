import { expect } from 'chai';
import { readFile, readdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { API_VERSION } from '../../../src/api/constants.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../samples');

interface Doc { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: Record<string, unknown> }

async function load(): Promise<Map<string, Doc[]>> {
  const out = new Map<string, Doc[]>();
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.yaml'))) {
    out.set(f, parseAllDocuments(await readFile(join(dir, f), 'utf8')).map((d) => d.toJS() as Doc));
  }
  return out;
}

describe('samples', () => {
  it('has the documented samples', async () => {
    expect([...(await load()).keys()].sort()).to.deep.equal([
      'cloudprofile-demo.yaml', 'imagecapture-ebs.yaml', 'imagecapture-instancestore-refused.yaml', 'imagecapture-noreboot.yaml',
      'imagecapture-stopped.yaml', 'imageschedule-nightly-web.yaml', 'instancebundle-euca40.yaml', 'instancebundle-linux.yaml',
    ]);
  });
  it('creates Secrets and CloudProfiles in sync wave -1, before what uses them', async () => {
    for (const [f, docs] of await load()) {
      for (const d of docs.filter((x) => x.kind === 'Secret' || x.kind === 'CloudProfile')) {
        expect(d.metadata.annotations?.['argocd.argoproj.io/sync-wave'], `${f} ${d.kind}`).to.equal('-1');
      }
    }
  });
  it('references only CloudProfiles and Secrets the samples define', async () => {
    const all = [...(await load()).values()].flat();
    const profiles = new Set(all.filter((d) => d.kind === 'CloudProfile').map((d) => d.metadata.name));
    const secrets = new Set(all.filter((d) => d.kind === 'Secret').map((d) => d.metadata.name));
    for (const d of all) {
      if (d.apiVersion !== API_VERSION) continue;
      const ref = ((d.spec?.cloudRef ?? (d.spec?.captureTemplate as { cloudRef?: unknown } | undefined)?.cloudRef) as { name?: string } | undefined)?.name;
      if (ref) expect(profiles, d.metadata.name).to.include(ref);
      const secret = (d.spec?.credentialsSecretRef as { name?: string } | undefined)?.name;
      if (secret) expect(secrets, d.metadata.name).to.include(secret);
    }
  });
});
