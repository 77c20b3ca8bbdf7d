// The step reconciler's status writes: one per pass at most, only for a real change (phase, observedGeneration,
// a condition's status or reason), minor changes kept in memory for the next pass, persist() before a call.
import { expect } from 'chai';
import { FINALIZER } from '../../../src/api/constants.ts';
import type { Condition } from '../../../src/api/types.ts';
import { canonicalJson, sameJson, statusChange } from '../../../src/controllers/shared/status-change.ts';
import { ResourceState, type StatusShape } from '../../../src/controllers/shared/resource-state.ts';
import { StepReconciler, STATUS_REFRESH_MS, type AnyResource, type KindDefinition, type Step, type StepReconcilerDeps } from '../../../src/controllers/shared/step-reconciler.ts';
import { createLogger } from '../../../src/runtime/logger.ts';

interface S extends StatusShape { progress?: number; itemId?: string; startedAt?: string }
type R = AnyResource<S>;
class St extends ResourceState<R, S> {
  override get minorFields(): readonly string[] {
    return ['progress', 'itemId'];
  }
}

const cond = (type: string, status: string, reason: string, generation = 1) => ({ type, status, reason, message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: generation }) as Condition;

describe('status change classification', () => {
  it('tells phase, generation and condition status or reason from progress, messages and ids', () => {
    const stored = { phase: 'Snapshotting', observedGeneration: 1, conditions: [cond('Ready', 'False', 'WaitingForSnapshots')], progress: 10 };
    expect(statusChange(stored, structuredClone(stored))).to.equal('none');
    expect(statusChange(stored, { ...stored, progress: 40, itemId: 'snap-1' }, ['progress', 'itemId'])).to.equal('minor');
    // A field the kind does not declare minor is real (what an edit of the spec led to, for example).
    expect(statusChange(stored, { ...stored, appliedTags: { a: 'b' } }, ['progress'])).to.equal('real');
    expect(statusChange(stored, { ...stored, conditions: [{ ...cond('Ready', 'False', 'WaitingForSnapshots'), message: 'other' }] })).to.equal('minor');
    expect(statusChange(stored, { ...stored, phase: 'Registering' })).to.equal('real');
    expect(statusChange(stored, { ...stored, observedGeneration: 2 })).to.equal('real');
    expect(statusChange(stored, { ...stored, conditions: [cond('Ready', 'True', 'WaitingForSnapshots')] })).to.equal('real');
    expect(statusChange(stored, { ...stored, conditions: [cond('Ready', 'False', 'WaitingForImage')] })).to.equal('real');
    expect(statusChange(stored, { ...stored, conditions: [cond('Ready', 'False', 'WaitingForSnapshots', 2)] })).to.equal('real');
    expect(statusChange(stored, { ...stored, conditions: [...stored.conditions, cond('Stalled', 'False', 'InProgress')] })).to.equal('real');
    expect(statusChange(undefined, { phase: 'Pending' })).to.equal('real');
  });

  it('compares with the status as the API server returns it: keys in its order, cleared fields gone', () => {
    const written = { phase: 'Working', itemId: undefined, progress: 10, conditions: [{ ...cond('Ready', 'False', 'Waiting'), extra: null }] };
    const returned = { conditions: [{ observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z', message: 'm', reason: 'Waiting', status: 'False', type: 'Ready' }], progress: 10, phase: 'Working' };
    expect(statusChange(returned as never, written as never)).to.equal('none');
    expect(canonicalJson(returned)).to.equal(canonicalJson(written));
  });

  it('sameJson answers as comparing the canonical JSON does, on random trees and their near copies', () => {
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 16) % n;
    const leaf = (): unknown => [null, undefined, 0, 1, '', 'a', 'b', true, false][rand(9)];
    const tree = (depth: number): unknown => {
      if (depth === 0 || rand(3) === 0) return leaf();
      if (rand(2) === 0) return Array.from({ length: rand(4) }, () => tree(depth - 1));
      const o: Record<string, unknown> = {};
      for (const k of ['x', 'y', 'z', 'w'].slice(0, rand(5))) o[k] = tree(depth - 1);
      return o;
    };
    // A copy with keys reordered, null or undefined fields added or dropped, and now and then one value changed.
    const nearCopy = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map((e) => (rand(8) === 0 ? tree(1) : nearCopy(e)));
      if (v === null || typeof v !== 'object') return rand(5) === 0 ? leaf() : v;
      const entries = Object.entries(v).reverse().map(([k, e]): [string, unknown] => [k, nearCopy(e)]);
      if (rand(4) === 0) entries.push(['extra', rand(2) === 0 ? null : undefined]);
      return Object.fromEntries(entries.filter(([, e]) => !(e == null && rand(3) === 0)));
    };
    let same = 0;
    for (let i = 0; i < 3000; i++) {
      const a = tree(4);
      const b = nearCopy(a);
      const expected = canonicalJson(a) === canonicalJson(b);
      expect(sameJson(a, b), `${canonicalJson(a)} vs ${canonicalJson(b)}`).to.equal(expected);
      if (expected) same++;
    }
    expect(same).to.be.within(300, 2700);
  });
});

describe('step reconciler status writes', () => {
  let obj: R;
  let writes: S[];
  let calls: string[];
  let steps: Step<St>[];

  const reconciler = () => {
    const kind = {
      noun: 'thing',
      newState: (o: R) => new St(o),
      get steps() { return steps; },
      complete: (_c: unknown, s: St) => {
        s.phase('Available' as never);
        s.ready('done');
        return {};
      },
      cleanupReasons: new Set(),
      failureCleanup: { run: async () => ({}) },
      deletion: { madeAnything: () => false, retainNeedsCloud: () => true, recordedObjects: () => [], nothingMade: '', describe: () => '', cleanUp: async () => ({ deleted: [], kept: [] }) },
      newAttempt: () => {},
      timeoutConsequence: '',
    } as unknown as KindDefinition<R, S, St>;
    const deps: StepReconcilerDeps<R, S> = {
      get: () => obj,
      clouds: { resolve: async () => ({ settings: { ec2Endpoint: 'https://ec2.example', region: 'r', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 's' } } }) } as never,
      cloudView: async () => ({}) as never,
      forget: () => {},
      writer: {
        patchStatus: async (o, status) => {
          writes.push(structuredClone(status));
          calls.push('write');
          obj = { ...o, metadata: { ...o.metadata, resourceVersion: String(Number(o.metadata.resourceVersion) + 1) }, status: structuredClone(status) };
        },
        ensureFinalizer: async (o) => o,
        removeFinalizer: async () => {},
      },
      events: { normal: () => {}, warning: () => {} },
      log: createLogger({ level: 'silent' }),
      waitingRequeueMs: 60_000,
      cancelPollMs: 1_000,
    };
    return new StepReconciler(kind, deps);
  };

  beforeEach(() => {
    obj = { apiVersion: 'v1', kind: 'Thing', metadata: { name: 'a', namespace: 'n', uid: 'u1', generation: 1, resourceVersion: '1', finalizers: [FINALIZER] }, spec: {} };
    writes = [];
    calls = [];
  });

  it('writes what a step starts before its call, keeps the id it returns for the next pass and writes once at Ready', async () => {
    let available = false;
    steps = [
      {
        name: 'create',
        when: (s) => !s.status.itemId,
        run: async (_c, s) => {
          s.phase('Working' as never);
          s.reconciling('Waiting' as never, 'creating');
          await s.persist();
          calls.push('create');
          s.status.itemId = 'item-1';
          return { again: true };
        },
      },
      {
        name: 'wait',
        run: (_c, s) => {
          if (available) return undefined;
          s.status.progress = (s.status.progress ?? 0) + 10;
          s.reconciling('Waiting' as never, `waiting for ${s.status.itemId}`);
          return {};
        },
      },
    ];
    const r = reconciler();
    await r.reconcile('n/a');
    expect(calls).to.deep.equal(['write', 'create']);
    expect(writes[0]!.phase).to.equal('Working');
    expect(writes[0]!.itemId).to.equal(undefined);
    expect(r.unwrittenCount).to.equal(1);
    // Polls that only move progress write nothing, and never create again: the id is kept in memory.
    await r.reconcile('n/a');
    await r.reconcile('n/a');
    expect(calls).to.deep.equal(['write', 'create']);
    available = true;
    await r.reconcile('n/a');
    expect(calls).to.deep.equal(['write', 'create', 'write']);
    expect(writes[1]!.phase).to.equal('Available');
    expect(writes[1]!.itemId).to.equal('item-1');
    expect(writes[1]!.progress).to.equal(30);
    expect(r.unwrittenCount).to.equal(0);
    // Nothing changed: no write.
    await r.reconcile('n/a');
    expect(writes).to.have.length(2);
  });

  it('writes a new generation even when nothing else changed, and a checkpoint once (not again at the end)', async () => {
    steps = [{ name: 'one', run: (_c, s) => { s.phase('Working' as never); s.reconciling('Waiting' as never, 'x'); return { checkpoint: true }; } }];
    const r = reconciler();
    await r.reconcile('n/a');
    expect(writes).to.have.length(1);
    expect(writes[0]!.observedGeneration).to.equal(1);
    obj = { ...obj, metadata: { ...obj.metadata, generation: 2 } };
    await r.reconcile('n/a');
    expect(writes).to.have.length(2);
    expect(writes[1]!.observedGeneration).to.equal(2);
    expect(writes[1]!.conditions!.every((c) => c.observedGeneration === 2)).to.equal(true);
  });

  it('writes a minor change once it has waited STATUS_REFRESH_MS, and drops it for a re-created object', async () => {
    steps = [{ name: 'wait', run: (_c, s) => { s.phase('Working' as never); s.reconciling('Waiting' as never, 'x'); s.status.progress = (s.status.progress ?? 0) + 1; return {}; } }];
    const r = reconciler();
    await r.reconcile('n/a');
    expect(writes).to.have.length(1);
    const realNow = Date.now;
    try {
      await r.reconcile('n/a');
      expect(writes).to.have.length(1);
      Date.now = () => realNow() + STATUS_REFRESH_MS + 1;
      await r.reconcile('n/a');
      expect(writes).to.have.length(2);
      expect(writes[1]!.progress).to.equal(3);
    } finally {
      Date.now = realNow;
    }
    await r.reconcile('n/a');
    expect(r.unwrittenCount).to.equal(1);
    obj = { ...obj, metadata: { ...obj.metadata, uid: 'u2' } };
    await r.reconcile('n/a');
    // The kept progress (4) belonged to the old object: the new pass starts from the stored 3 and keeps 4.
    expect(r.unwrittenCount).to.equal(1);
    Date.now = () => realNow() + 2 * STATUS_REFRESH_MS;
    try {
      await r.reconcile('n/a');
    } finally {
      Date.now = realNow;
    }
    expect(writes.at(-1)!.progress).to.equal(5); // 6 had the old object's 4 been carried over
  });
});
