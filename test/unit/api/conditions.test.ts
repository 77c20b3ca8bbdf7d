import { expect } from 'chai';
import {
  ConditionTypes, MAX_CONDITION_MESSAGE, Reasons, getCondition, isObserved, isTrue, markReady, markReconciling, markStalled, observeGeneration, onTruncated, removeCondition, setCondition, summarize,
} from '../../../src/api/conditions.ts';
import type { Condition, ImageCaptureStatus } from '../../../src/api/types.ts';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:05:00Z';

describe('api/conditions', () => {
  it('appends a new condition with the transition time and generation', () => {
    const out = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'InProgress', message: 'x' }, 3, T0);
    expect(out).to.deep.equal([{ type: 'Ready', status: 'False', reason: 'InProgress', message: 'x', lastTransitionTime: T0, observedGeneration: 3 }]);
  });
  it('keeps lastTransitionTime when the status does not change, and updates the rest', () => {
    const a = setCondition([], { type: 'Ready', status: 'False', reason: 'Validating', message: 'a' }, 1, T0);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'CreatingImage', message: 'b' }, 2, T1);
    expect(b[0]).to.include({ lastTransitionTime: T0, reason: 'CreatingImage', message: 'b', observedGeneration: 2 });
    const c = setCondition(b, { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'c' }, 2, T1);
    expect(c[0]!.lastTransitionTime).to.equal(T1);
  });
  it('returns a new array and leaves the input alone', () => {
    const a: Condition[] = [{ type: 'Ready', status: 'False', reason: 'X', message: '', lastTransitionTime: T0 }];
    const frozen = Object.freeze([Object.freeze({ ...a[0]! })]);
    const b = setCondition(frozen, { type: 'Ready', status: 'True', reason: 'Succeeded', message: '' }, 1, T1);
    expect(b).to.not.equal(frozen);
    expect(frozen[0]!.status).to.equal('False');
  });
  it('keeps the order of existing conditions', () => {
    let list = setCondition([], { type: 'A', status: 'True', reason: 'R', message: '' }, 1, T0);
    list = setCondition(list, { type: 'B', status: 'True', reason: 'R', message: '' }, 1, T0);
    list = setCondition(list, { type: 'A', status: 'False', reason: 'R', message: '' }, 1, T0);
    expect(list.map((c) => c.type)).to.deep.equal(['A', 'B']);
  });
  it('writes second-precision timestamps from a Date', () => {
    const out = setCondition([], { type: 'A', status: 'True', reason: 'R', message: '' }, 1, new Date('2024-01-01T00:00:00.123Z'));
    expect(out[0]!.lastTransitionTime).to.equal('2024-01-01T00:00:00Z');
  });
  it('reads conditions', () => {
    const list = setCondition([], { type: 'Ready', status: 'True', reason: 'Succeeded', message: '' }, 1, T0);
    expect(getCondition(list, 'Ready')?.reason).to.equal('Succeeded');
    expect(getCondition(list, 'Stalled')).to.equal(undefined);
    expect(isTrue(list, 'Ready')).to.equal(true);
    expect(isTrue(undefined, 'Ready')).to.equal(false);
    expect(removeCondition(list, 'Ready')).to.deep.equal([]);
  });

  describe('kstatus trio', () => {
    const trio = (s: { conditions?: Condition[] }) =>
      Object.fromEntries(['Ready', 'Reconciling', 'Stalled'].map((t) => [t, [getCondition(s.conditions, t)?.status, getCondition(s.conditions, t)?.reason]]));

    it('markReconciling: Reconciling True with the step, Ready False with the step, Stalled False', () => {
      const start: ImageCaptureStatus = { phase: 'Snapshotting' };
      const s = markReconciling(start, Reasons.WaitingForSnapshots, 'snap-1 at 40%', 4, T0);
      expect(s.phase).to.equal('Snapshotting');
      expect(trio(s)).to.deep.equal({ Ready: ['False', 'WaitingForSnapshots'], Reconciling: ['True', 'WaitingForSnapshots'], Stalled: ['False', 'InProgress'] });
      expect(s.conditions!.every((c) => c.observedGeneration === 4)).to.equal(true);
      expect(summarize(s)).to.equal('Reconciling');
    });
    it('markStalled: Stalled True, Ready and Reconciling False', () => {
      const s = markStalled(markReconciling({}, Reasons.Validating, '', 1, T0), Reasons.InstanceNotFound, 'no instance i-1A2B3C4D', 1, T1);
      expect(trio(s)).to.deep.equal({ Ready: ['False', 'InstanceNotFound'], Reconciling: ['False', 'InstanceNotFound'], Stalled: ['True', 'InstanceNotFound'] });
      expect(getCondition(s.conditions, 'Stalled')!.message).to.equal('no instance i-1A2B3C4D');
      expect(getCondition(s.conditions, 'Ready')!.lastTransitionTime).to.equal(T0);
      expect(getCondition(s.conditions, 'Stalled')!.lastTransitionTime).to.equal(T1);
      expect(summarize(s)).to.equal('Stalled');
    });
    it('markReady: Ready True, Reconciling and Stalled False', () => {
      const s = markReady(markReconciling({}, Reasons.WaitingForImage, '', 2, T0), 'image emi-12345678 is available', 2, T1);
      expect(trio(s)).to.deep.equal({ Ready: ['True', 'Succeeded'], Reconciling: ['False', 'Succeeded'], Stalled: ['False', 'Succeeded'] });
      expect(summarize(s, 2)).to.equal('Ready');
    });
    it('keeps step conditions next to the trio', () => {
      let s: { conditions: Condition[] } = { conditions: setCondition([], { type: ConditionTypes.SnapshotsCompleted, status: 'True', reason: 'Succeeded', message: '' }, 1, T0) };
      s = markReady(s, 'done', 1, T1);
      expect(isTrue(s.conditions, 'SnapshotsCompleted')).to.equal(true);
    });
    it('summarize treats conditions of an older generation as in progress', () => {
      const s = { ...markReady({}, 'done', 1, T0), observedGeneration: 1 };
      expect(summarize(s, 2)).to.equal('Reconciling');
      expect(summarize(undefined)).to.equal('Unknown');
    });
  });

  describe('observeGeneration', () => {
    it('records the generation on the status and every condition, keeping everything else', () => {
      const s = { ...markReady<ImageCaptureStatus>({ phase: 'Available' }, 'done', 1, T0), observedGeneration: 1 };
      s.conditions = setCondition(s.conditions, { type: 'SnapshotsCompleted', status: 'True', reason: 'Succeeded', message: '' }, 1, T0);
      expect(isObserved(s, 1)).to.equal(true);
      expect(isObserved(s, 2)).to.equal(false);
      const seen = observeGeneration(s, 2);
      expect(seen.observedGeneration).to.equal(2);
      expect(seen.conditions.map((c) => c.observedGeneration)).to.deep.equal([2, 2, 2, 2]);
      expect(seen.conditions.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime])).to.deep.equal(s.conditions.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]));
      expect(summarize(seen, 2)).to.equal('Ready');
      expect(isObserved(seen, 2)).to.equal(true);
      expect(s.observedGeneration, 'input untouched').to.equal(1);
    });
    it('works on a status without conditions (the CRD default)', () => {
      expect(observeGeneration({ observedGeneration: 0, phase: 'Pending' }, 1)).to.deep.equal({ observedGeneration: 1, phase: 'Pending' });
    });
  });

  it('has frozen, self-named reasons in CamelCase', () => {
    expect(Object.isFrozen(Reasons)).to.equal(true);
    for (const [k, v] of Object.entries(Reasons)) {
      expect(v).to.equal(k);
      expect(v).to.match(/^[A-Z][A-Za-z0-9]*$/);
    }
    for (const r of ['InstanceNotFound', 'DuplicateImageName', 'CloudRejected', 'Registering', 'S3SignatureRejected']) expect(Reasons).to.have.property(r);
  });

  it('cuts a message to fit the API server and hands the whole text to the log sink', () => {
    const seen: string[] = [];
    onTruncated((type, message) => seen.push(`${type}:${message.length}`));
    try {
      const huge = 'x'.repeat(100_000);
      const [c] = setCondition([], { type: 'Stalled', status: 'True', reason: 'CloudRejected', message: huge }, 1);
      expect(c!.message.length).to.equal(MAX_CONDITION_MESSAGE);
      expect(c!.message).to.match(/truncated; the full text is in the operator log\)$/);
      expect(seen).to.deep.equal(['Stalled:100000']);
      const [short] = setCondition([], { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'fine' }, 1);
      expect(short!.message).to.equal('fine');
      expect(seen).to.have.length(1);
    } finally {
      onTruncated(undefined);
    }
  });
});
