import { expect } from 'chai';
import { EventCache, eventKey, SERIES_FINISH_MS, SERIES_REFRESH_MS, seriesDue } from '../../../src/runtime/events.ts';

describe('event aggregation keying', () => {
  const obj = { apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'ImageCapture', metadata: { namespace: 'a', name: 'x', uid: 'u1' } };

  it('keys by object uid, type, reason and message', () => {
    const k = eventKey(obj, 'Warning', 'SnapshotFailed', 'snap-1 failed');
    expect(eventKey({ ...obj, metadata: { ...obj.metadata, resourceVersion: '9' } }, 'Warning', 'SnapshotFailed', 'snap-1 failed')).to.equal(k);
    expect(eventKey(obj, 'Normal', 'SnapshotFailed', 'snap-1 failed')).to.not.equal(k);
    expect(eventKey(obj, 'Warning', 'Other', 'snap-1 failed')).to.not.equal(k);
    expect(eventKey(obj, 'Warning', 'SnapshotFailed', 'snap-2 failed')).to.not.equal(k);
    expect(eventKey({ ...obj, metadata: { ...obj.metadata, uid: 'u2' } }, 'Warning', 'SnapshotFailed', 'snap-1 failed')).to.not.equal(k);
  });

  it('falls back to kind/namespace/name without a uid and cannot be confused by separators', () => {
    const a = { kind: 'ImageCapture', metadata: { namespace: 'a', name: 'x' } };
    const b = { kind: 'InstanceBundle', metadata: { namespace: 'a', name: 'x' } };
    expect(eventKey(a, 'Normal', 'R', 'm')).to.not.equal(eventKey(b, 'Normal', 'R', 'm'));
    expect(eventKey(a, 'Normal', 'R', 'a b')).to.not.equal(eventKey(a, 'Normal', 'R a', 'b'));
  });

  it('aggregates within the window and starts a new event after it', () => {
    const cache = new EventCache(10, 1000);
    cache.store('k', { name: 'x.1', namespace: 'a', count: 1, firstSeen: 0 });
    expect(cache.lookup('k', 999)?.name).to.equal('x.1');
    expect(cache.lookup('k', 1000)).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it('is bounded, dropping the least recently used entry', () => {
    const cache = new EventCache(2, 60_000);
    cache.store('a', { name: 'a', namespace: 'n', count: 1, firstSeen: 0 });
    cache.store('b', { name: 'b', namespace: 'n', count: 1, firstSeen: 0 });
    cache.lookup('a', 1);
    cache.store('c', { name: 'c', namespace: 'n', count: 1, firstSeen: 0 });
    expect(cache.size).to.equal(2);
    expect(cache.lookup('b', 2)).to.equal(undefined);
    expect(cache.lookup('a', 2)?.name).to.equal('a');
    expect(cache.lookup('c', 2)?.name).to.equal('c');
  });

  it('writes a series count when the series ended or has gone on unwritten for long, as client-go does', () => {
    const e = { name: 'x.1', namespace: 'a', count: 5, firstSeen: 0, written: 2, lastSeen: 1_000, lastWritten: 0 };
    expect(seriesDue(e, 1_000 + SERIES_FINISH_MS - 1)).to.equal(false);
    expect(seriesDue(e, 1_000 + SERIES_FINISH_MS)).to.equal(true);
    expect(seriesDue({ ...e, lastSeen: SERIES_REFRESH_MS }, SERIES_REFRESH_MS)).to.equal(true);
    expect(seriesDue({ ...e, written: 5 }, 10 * SERIES_REFRESH_MS)).to.equal(false);
  });

  it('hands an entry that leaves the cache to the recorder, so its count is not lost', () => {
    const cache = new EventCache(1, 1000);
    const dropped: string[] = [];
    cache.onDrop((e) => dropped.push(e.name));
    cache.store('a', { name: 'a', namespace: 'n', count: 3, firstSeen: 0, written: 2 });
    cache.store('b', { name: 'b', namespace: 'n', count: 1, firstSeen: 0 });
    expect(cache.lookup('b', 1000)).to.equal(undefined);
    expect(dropped).to.deep.equal(['a', 'b']);
  });
});
