// The chart's RBAC is sufficient, not just declared: the operator, authenticated with a token of the chart's
// ServiceAccount (no impersonation, no admin rights), completes an ImageCapture and a deletion with finalizer.
import { expect } from 'chai';
import { join } from 'node:path';
import { loadKubeConfig } from '../../../src/operator.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, ownedObjects, seedInstance } from '../imagecapture/helpers.ts';

const chart = join(import.meta.dirname, '../../../charts/eucalyptus-image-operator');

describe('operator with the Helm chart ServiceAccount', function () {
  this.timeout(180_000);
  let s: Scenario;
  after(async () => s?.close());

  it('captures an image and honours deletionPolicy Delete using only the chart RBAC', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false });
    const install = await s.env.helm(['install', 'eio', chart, '-n', s.namespace, '--wait=false', '--set', 'defaultCloud.enabled=false']);
    expect(install.code, install.stderr).to.equal(0);
    const sa = await s.env.serviceAccountKubeConfig(s.namespace, 'eio-eucalyptus-image-operator');
    // The token really is the ServiceAccount's: it may not read Secrets' list.
    const denied = await s.env.kubectl(['--kubeconfig', sa.path, 'get', 'secrets', '-n', s.namespace]);
    expect(denied.code).to.not.equal(0);
    expect(loadKubeConfig(sa.path).getCurrentUser()?.token).to.be.a('string');

    // The chart's Role lets it create its checkpoint key Secret and read that one Secret back.
    await s.startOperator({ kubeconfig: sa.path, leaderElection: true, leaseName: 'eio-eucalyptus-image-operator', identity: 'rbac-test', checkpointKeySecret: 'eio-eucalyptus-image-operator-checkpoint-key' });
    const key = await s.env.kubectl(['get', 'secret', 'eio-eucalyptus-image-operator-checkpoint-key', '-n', s.namespace, '-o', 'jsonpath={.data.hmac-sha256-key}']);
    expect(Buffer.from(key.stdout, 'base64'), 'a 32-byte key made on the first start').to.have.length(32);
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 60_000);
    const m = captureManifest(s, seedInstance(s, { attachedVolumes: 1 }).id, { strategy: 'Orchestrated', deletionPolicy: 'Delete' });
    await s.create('imagecaptures', m);
    await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 90_000);
    await s.remove('imagecaptures', m.metadata.name);
    await s.waitGone('imagecaptures', m.metadata.name);
    expect(ownedObjects(s, s.namespace, m.metadata.name).images).to.have.length(0);
    const events = await s.env.kubectl(['get', 'events', '-n', s.namespace, '-o', 'name']);
    expect(events.stdout, 'events written with the chart RBAC').to.match(/event/);
  });
});
