// spec.launchPermissions on ImageCapture and InstanceBundle, checked in the cloud: granted when the image is
// available, changed and revoked on edits, kept or revoked at deletion with Retain, gone with Delete.
import { expect } from 'chai';
import type { Condition } from '../../../src/api/types.ts';
import { waitFor } from '../../env/index.ts';
import { BUNDLE_FIXTURES, bundleManifest, seed } from '../instancebundle/helpers.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from './helpers.ts';

const OTHER = '000900080007';
const THIRD = '123456789012';
type Obj = { status?: { imageId?: string; launchPermissions?: string[]; conditions?: Condition[] }; metadata: { generation?: number } };

function cloudPermissions(s: Scenario, imageId: string): string[] {
  const image = s.sim.state.images.get(imageId);
  if (!image) return [];
  return [...(image.isPublic ? ['all'] : []), ...[...image.launchPermissions].sort()];
}

async function edit(s: Scenario, plural: string, name: string, spec: Record<string, unknown>): Promise<void> {
  const r = await s.env.kubectl(['patch', plural, name, '-n', s.namespace, '--type=merge', '-p', JSON.stringify({ spec })]);
  expect(r.code, r.stderr).to.equal(0);
}

async function waitCloud(s: Scenario, imageId: string, want: string[]): Promise<void> {
  await waitFor(() => JSON.stringify(cloudPermissions(s, imageId)) === JSON.stringify(want), { timeoutMs: 30_000, intervalMs: 100, message: `${imageId} launch permissions ${want.join(',') || '(none)'}; has ${cloudPermissions(s, imageId).join(',')}` });
}

describe('launch permissions', function () {
  this.timeout(120_000);
  let s: Scenario;
  afterEach(async () => s?.close());

  it('ImageCapture: granted when available, changed and revoked on edits, then Retain keeps them unless asked to revoke', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
    const inst = seedInstance(s);
    const m = captureManifest(s, inst.id, { launchPermissions: [OTHER] });
    await s.create('imagecaptures', m);
    const done = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready') as Obj;
    const imageId = done.status!.imageId!;
    expect(cloudPermissions(s, imageId)).to.deep.equal([OTHER]);
    expect(done.status!.launchPermissions).to.deep.equal([OTHER]);
    expect(done.status!.conditions!.find((c) => c.type === 'LaunchPermissionsApplied')).to.deep.include({ status: 'True', reason: 'Succeeded' });
    expect(s.sim.log.count('ModifyImageAttribute')).to.equal(1);

    // A grant made by someone else is not ours to revoke.
    s.sim.state.images.get(imageId)!.launchPermissions.add(THIRD);
    await edit(s, 'imagecaptures', m.metadata.name, { launchPermissions: ['all'] });
    await waitCloud(s, imageId, ['all', THIRD]);
    await edit(s, 'imagecaptures', m.metadata.name, { launchPermissions: [] });
    await waitCloud(s, imageId, [THIRD]);
    await edit(s, 'imagecaptures', m.metadata.name, { launchPermissions: [OTHER, 'all'] });
    await waitCloud(s, imageId, ['all', OTHER, THIRD]);
    const refused = await s.env.kubectl(['patch', 'imagecaptures', m.metadata.name, '-n', s.namespace, '--type=merge', '-p', '{"spec":{"launchPermissions":["alice"]}}']);
    expect(refused.stderr).to.match(/launchPermissions\[0\].*should match/);

    await s.remove('imagecaptures', m.metadata.name);
    await s.waitGone('imagecaptures', m.metadata.name);
    expect(s.sim.state.images.get(imageId)?.state, 'Retain keeps the image').to.equal('available');
    expect(cloudPermissions(s, imageId), 'and its launch permissions').to.deep.equal(['all', OTHER, THIRD]);

    const inst2 = seedInstance(s);
    const m2 = captureManifest(s, inst2.id, { launchPermissions: [OTHER, 'all'], revokeLaunchPermissionsOnDeletion: true });
    await s.create('imagecaptures', m2);
    const image2 = ((await s.waitForCondition('imagecaptures', m2.metadata.name, 'Ready')) as Obj).status!.imageId!;
    expect(cloudPermissions(s, image2)).to.deep.equal(['all', OTHER]);
    await s.remove('imagecaptures', m2.metadata.name);
    await s.waitGone('imagecaptures', m2.metadata.name);
    expect(s.sim.state.images.get(image2)?.state).to.equal('available');
    expect(cloudPermissions(s, image2), 'revoked at deletion, image retained').to.deep.equal([]);
  });

  it('InstanceBundle: the registered image gets the permissions, follows edits, and Delete takes the image with them', async () => {
    s = await startScenario({ profile: 'eucalyptus-4.0', fixtures: BUNDLE_FIXTURES });
    const inst = seed(s, { platform: 'linux' });
    const m = bundleManifest(s, inst.id, { register: { name: `shared-${Date.now()}` }, launchPermissions: [OTHER], deletionPolicy: 'Delete' });
    await s.create('instancebundles', m);
    const done = await s.waitForCondition('instancebundles', m.metadata.name, 'Ready') as Obj;
    const imageId = done.status!.imageId!;
    expect(cloudPermissions(s, imageId)).to.deep.equal([OTHER]);
    await edit(s, 'instancebundles', m.metadata.name, { launchPermissions: ['all'] });
    await waitCloud(s, imageId, ['all']);
    await s.remove('instancebundles', m.metadata.name);
    await s.waitGone('instancebundles', m.metadata.name);
    expect(s.sim.state.images.has(imageId), 'Delete deregisters the image').to.equal(false);
  });
});
