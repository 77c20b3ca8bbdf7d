// Status and finalizer writes against a real API server: status goes to the subresource only, and finalizer
// patches lose cleanly (a conflict the caller retries) instead of overwriting a concurrent change.
import { expect } from 'chai';
import { getEnv, type TestEnv } from '../../env/index.ts';
import { CONTENT_TYPE, kubeRequest, resourcePath } from '../../../src/runtime/rest.ts';
import {
  ensureFinalizer,
  getObject,
  isConflict,
  isNotFound,
  patchStatus,
  removeFinalizer,
  retryOnConflict,
} from '../../../src/runtime/status.ts';
import { createWidget, getWidget, installWidgetCrd, WIDGET_KIND, type Widget } from './widget-crd.ts';

describe('runtime status and finalizer patches on a real API server', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let ns: string;
  const F1 = 'runtime-test.eucalyptus.dev/one';
  const F2 = 'runtime-test.eucalyptus.dev/two';

  before(async () => {
    env = await getEnv();
    await installWidgetCrd(env);
    ns = await env.newNamespace('rt-status');
  });

  it('merge-patches the status subresource and leaves spec alone', async () => {
    const w = await createWidget(env, ns, 'st', 3);
    const ref = { ...WIDGET_KIND, namespace: ns, name: 'st' };
    const updated = await patchStatus<Widget>(env.kubeConfig, ref, { phase: 'Ready', observedGeneration: w.metadata?.generation, message: 'hi' });
    expect(updated.status).to.deep.equal({ phase: 'Ready', observedGeneration: 1, message: 'hi' });
    // A second patch merges; null removes a field.
    const again = await patchStatus<Widget>(env.kubeConfig, ref, { message: null });
    expect(again.status).to.deep.equal({ phase: 'Ready', observedGeneration: 1 });
    const read = await getObject<Widget>(env.kubeConfig, ref);
    expect(read.spec?.size).to.equal(3);
    expect(read.metadata?.generation).to.equal(1);
  });

  it('a field the controller cleared (undefined, dropped by JSON) is removed, at any depth', async () => {
    await createWidget(env, ns, 'clear');
    const ref = { ...WIDGET_KIND, namespace: ns, name: 'clear' };
    const full = { phase: 'Failed', retained: ['emi-1', 'snap-1'], detail: { a: 'x', b: 'y' }, message: 'kept' };
    expect((await patchStatus<Widget>(env.kubeConfig, ref, full)).status).to.deep.equal(full);
    // The working copy as a controller leaves it: retainedObjects-like list and one nested field cleared.
    const cleared = { ...full, retained: undefined, detail: { ...full.detail, b: undefined } };
    const after = await patchStatus<Widget>(env.kubeConfig, ref, cleared);
    expect(after.status).to.deep.equal({ phase: 'Failed', detail: { a: 'x' }, message: 'kept' });
    expect((await getObject<Widget>(env.kubeConfig, ref)).status).to.deep.equal({ phase: 'Failed', detail: { a: 'x' }, message: 'kept' });
  });

  it('reports a missing object as not found', async () => {
    const err = await patchStatus(env.kubeConfig, { ...WIDGET_KIND, namespace: ns, name: 'missing' }, { phase: 'x' }).catch((e: unknown) => e);
    expect(isNotFound(err)).to.equal(true);
    expect(isConflict(err)).to.equal(false);
  });

  it('adds and removes finalizers, and does nothing when already in that state', async () => {
    const w = await createWidget(env, ns, 'fin');
    const added = await ensureFinalizer(env.kubeConfig, WIDGET_KIND, w, F1);
    expect(added.metadata?.finalizers).to.deep.equal([F1]);
    expect(await ensureFinalizer(env.kubeConfig, WIDGET_KIND, added, F1)).to.equal(added);
    const both = await ensureFinalizer(env.kubeConfig, WIDGET_KIND, added, F2);
    expect(both.metadata?.finalizers).to.deep.equal([F1, F2]);
    const one = await removeFinalizer(env.kubeConfig, WIDGET_KIND, both, F1);
    expect(one.metadata?.finalizers).to.deep.equal([F2]);
    expect(await removeFinalizer(env.kubeConfig, WIDGET_KIND, one, F1)).to.equal(one);
  });

  it('of two concurrent finalizer writes from the same read, one wins and the other gets a conflict', async () => {
    const w = await createWidget(env, ns, 'race');
    const results = await Promise.allSettled([
      ensureFinalizer(env.kubeConfig, WIDGET_KIND, w, F1),
      ensureFinalizer(env.kubeConfig, WIDGET_KIND, w, F2),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).to.have.length(1);
    expect(lost).to.have.length(1);
    expect(isConflict(lost[0]?.reason), String(lost[0]?.reason)).to.equal(true);
    // The loser re-reads and retries: both finalizers end up present, neither overwritten.
    const winner = (won[0] as PromiseFulfilledResult<Widget>).value.metadata?.finalizers?.[0] as string;
    const loser = winner === F1 ? F2 : F1;
    await retryOnConflict(async () => ensureFinalizer(env.kubeConfig, WIDGET_KIND, await getWidget(env, ns, 'race'), loser));
    expect((await getWidget(env, ns, 'race')).metadata?.finalizers?.sort()).to.deep.equal([F1, F2].sort());
  });

  it('a finalizer removal from a stale read conflicts instead of dropping a newer change', async () => {
    const w = await ensureFinalizer(env.kubeConfig, WIDGET_KIND, await createWidget(env, ns, 'stale'), F1);
    // Someone else changes the object (a spec update) after our read.
    await kubeRequest(env.kubeConfig, 'PATCH', resourcePath({ ...WIDGET_KIND, namespace: ns, name: 'stale' }), {
      body: { spec: { size: 7 } },
      contentType: CONTENT_TYPE.mergePatch,
    });
    const err = await removeFinalizer(env.kubeConfig, WIDGET_KIND, w, F1).catch((e: unknown) => e);
    expect(isConflict(err), String(err)).to.equal(true);
    const fresh = await getWidget(env, ns, 'stale');
    expect(fresh.metadata?.finalizers).to.deep.equal([F1]);
    const done = await removeFinalizer(env.kubeConfig, WIDGET_KIND, fresh, F1);
    expect(done.metadata?.finalizers ?? []).to.deep.equal([]);
    expect(done.spec?.size).to.equal(7);
  });

  it('removing the last finalizer of a deleted object lets it go', async () => {
    const w = await ensureFinalizer(env.kubeConfig, WIDGET_KIND, await createWidget(env, ns, 'gone'), F1);
    await kubeRequest(env.kubeConfig, 'DELETE', resourcePath({ ...WIDGET_KIND, namespace: ns, name: 'gone' }));
    const terminating = await getWidget(env, ns, 'gone');
    expect(terminating.metadata?.deletionTimestamp).to.be.a('string');
    await removeFinalizer(env.kubeConfig, WIDGET_KIND, terminating, F1);
    const err = await getWidget(env, ns, 'gone').catch((e: unknown) => e);
    expect(isNotFound(err)).to.equal(true);
    expect(w.metadata?.finalizers).to.deep.equal([F1]);
  });
});
