// Every write of the operator is recorded under one field manager, eucalyptus-image-operator (status, finalizers,
// events, leases), and server-side apply by other managers (a platform team, a GitOps tool) keeps working next
// to it on the real API server: no conflicts over the operator's fields, real conflicts between the appliers.
import { expect } from 'chai';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CoordinationV1Api, CoreV1Api, type V1ManagedFieldsEntry } from '@kubernetes/client-node';
import { getEnv, waitFor, type TestEnv } from '../../env/index.ts';
import { API_VERSION, FINALIZER, KINDS } from '../../../src/api/constants.ts';
import { markReconciling } from '../../../src/api/conditions.ts';
import type { ImageCapture, ImageCaptureStatus } from '../../../src/api/types.ts';
import { EventRecorder } from '../../../src/runtime/events.ts';
import { LeaderElector } from '../../../src/runtime/leader.ts';
import { createLogger } from '../../../src/runtime/logger.ts';
import { FIELD_MANAGER } from '../../../src/runtime/rest.ts';
import { ensureFinalizer, getObject, patchStatus } from '../../../src/runtime/status.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const KIND = { apiVersion: API_VERSION, plural: KINDS.ImageCapture.plural };

describe('one field manager on every write, next to server-side apply (real API server)', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let ns: string;
  const silent = createLogger({ level: 'silent' });

  const managers = (fields: V1ManagedFieldsEntry[] | undefined) =>
    (fields ?? []).map((f) => `${f.manager}/${f.operation}${f.subresource ? `/${f.subresource}` : ''}`).sort();
  const manifest = (spec: Record<string, unknown>, labels?: Record<string, string>) => stringify({
    apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name: 'ssa', namespace: ns, ...(labels ? { labels } : {}) }, spec,
  });
  const apply = (manager: string, yaml: string) =>
    env.kubectl(['apply', '--server-side', `--field-manager=${manager}`, '-f', '-'], { input: yaml });

  before(async () => {
    env = await getEnv();
    const applied = await env.kubectl(['apply', '--server-side', '-f', join(root, 'crds')]);
    expect(applied.code, applied.stderr).to.equal(0);
    ns = await env.newNamespace('fieldmgr');
    await waitFor(async () => (await env.kubectl(['get', '-n', ns, 'icap'])).code === 0, { message: 'ImageCapture served' });
  });

  it('records status patches, finalizers, events and leases under eucalyptus-image-operator', async () => {
    const first = await apply('platform-team', manifest({ instanceId: 'i-1A2B3C4D', image: { name: 'ssa-image' } }));
    expect(first.code, first.stderr).to.equal(0);
    const ref = { ...KIND, namespace: ns, name: 'ssa' };
    const obj = await getObject<ImageCapture>(env.kubeConfig, ref);
    await ensureFinalizer(env.kubeConfig, KIND, obj, FINALIZER);
    const generation = obj.metadata.generation!;
    await patchStatus(env.kubeConfig, ref, { ...markReconciling<ImageCaptureStatus>({ phase: 'Pending' }, 'Validating', 'validating', generation), observedGeneration: generation });

    const now = await getObject<ImageCapture>(env.kubeConfig, ref);
    expect(managers(now.metadata.managedFields)).to.deep.equal([
      `${FIELD_MANAGER}/Update`, `${FIELD_MANAGER}/Update/status`, 'platform-team/Apply',
    ]);

    const recorder = new EventRecorder({ kubeConfig: env.kubeConfig, instance: 'test', log: silent });
    await recorder.normal(now, 'Validated', 'validated');
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const events = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=ssa' })).items;
    expect(events.map((e) => managers(e.metadata.managedFields))).to.deep.equal([[`${FIELD_MANAGER}/Update`]]);

    const elector = new LeaderElector({ kubeConfig: env.kubeConfig, namespace: ns, name: 'lease', identity: 'me', retryPeriodSeconds: 0.2, log: silent });
    let leading = false;
    void elector.run({ onStartedLeading: () => (leading = true), onStoppedLeading: () => undefined });
    await waitFor(async () => leading, { message: 'leading' });
    await elector.release();
    const lease = await env.kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: ns, name: 'lease' });
    expect(managers(lease.metadata?.managedFields)).to.deep.equal([`${FIELD_MANAGER}/Update`]);
  });

  it('lets two appliers own their fields beside the operator, and reports a conflict between them', async () => {
    // A second manager (a GitOps tool) owns the labels and the tags.
    const gitops = await env.kubectl(['apply', '--server-side', '--field-manager=gitops', '-f', '-'], {
      input: stringify({ apiVersion: API_VERSION, kind: 'ImageCapture', metadata: { name: 'ssa', namespace: ns, labels: { team: 'web' } }, spec: { instanceId: 'i-1A2B3C4D', image: { name: 'ssa-image', tags: { team: 'web' } } } }),
    });
    expect(gitops.code, gitops.stderr).to.equal(0);
    // The platform team re-applies its manifest with a new deletionPolicy: no conflict with the operator's
    // finalizer and status, nor with the tags it does not list.
    const again = await apply('platform-team', manifest({ instanceId: 'i-1A2B3C4D', image: { name: 'ssa-image' }, deletionPolicy: 'Delete' }));
    expect(again.code, again.stderr).to.equal(0);
    const obj = await getObject<ImageCapture>(env.kubeConfig, { ...KIND, namespace: ns, name: 'ssa' });
    expect(obj.spec.deletionPolicy).to.equal('Delete');
    expect(obj.spec.image.tags).to.deep.equal({ team: 'web' });
    expect(obj.metadata.labels).to.deep.equal({ team: 'web' });
    expect(obj.metadata.finalizers).to.deep.equal([FINALIZER]);
    expect(obj.status?.phase).to.equal('Pending');
    expect(managers(obj.metadata.managedFields)).to.deep.equal([
      `${FIELD_MANAGER}/Update`, `${FIELD_MANAGER}/Update/status`, 'gitops/Apply', 'platform-team/Apply',
    ]);
    // Taking over a field another applier owns is a conflict that names it, as server-side apply promises.
    const conflict = await apply('platform-team', manifest({ instanceId: 'i-1A2B3C4D', image: { name: 'ssa-image', tags: { team: 'db' } }, deletionPolicy: 'Delete' }));
    expect(conflict.code).to.not.equal(0);
    expect(conflict.stderr).to.contain('conflict').and.contain('"gitops"').and.contain('.spec.image.tags.team');
  });
});
