import { expect } from 'chai';
import { DelayHeap } from '../../../src/runtime/delay-heap.ts';

/** Resolves when `cond()` holds, polling each macrotask; rejects after `ms`. */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

describe('DelayHeap', () => {
  let heaps: DelayHeap[] = [];
  const make = (fire: (key: string) => void): DelayHeap => {
    const h = new DelayHeap(fire);
    heaps.push(h);
    return h;
  };
  afterEach(() => {
    for (const h of heaps) h.clear();
    heaps = [];
  });

  it('fires keys in deadline order, each once, whatever the order they were scheduled in', async () => {
    const fired: string[] = [];
    const h = make((k) => fired.push(k));
    const now = Date.now();
    // 200 keys over 0..60 ms in a scrambled order: the heap, not the insertion order, decides.
    const keys = Array.from({ length: 200 }, (_, i) => i).sort((a, b) => ((a * 7919) % 200) - ((b * 7919) % 200));
    const due = new Map(keys.map((i) => [`k${i}`, now + 20 + Math.floor(i * 0.2)]));
    for (const [k, at] of due) h.schedule(k, at);
    expect(h.size).to.equal(200);
    await until(() => fired.length === 200);
    expect(new Set(fired).size).to.equal(200);
    const deadlines = fired.map((k) => due.get(k)!);
    expect(deadlines).to.deep.equal([...deadlines].sort((a, b) => a - b));
    expect(h.size).to.equal(0);
  });

  it('keeps the earliest deadline of a key: a later one is ignored, an earlier one replaces it', async () => {
    const fired: Array<[string, number]> = [];
    const h = make((k) => fired.push([k, Date.now()]));
    const t0 = Date.now();
    h.schedule('a', t0 + 5_000);
    h.schedule('a', t0 + 30);
    h.schedule('a', t0 + 3_000);
    expect(h.size).to.equal(1);
    await until(() => fired.length === 1);
    expect(fired[0]![1] - t0).to.be.at.least(25).and.below(2_000);
    // The stale 5,000 ms entry left behind does not fire the key again.
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).to.have.length(1);
    expect(h.has('a')).to.equal(false);
  });

  it('a key fired can be scheduled again', async () => {
    const fired: string[] = [];
    const h = make((k) => fired.push(k));
    h.schedule('a', Date.now() + 5);
    await until(() => fired.length === 1);
    h.schedule('a', Date.now() + 5);
    await until(() => fired.length === 2);
  });

  it('sweeps stale entries when a key is rescheduled sooner many times, and still fires it once', async () => {
    const fired: string[] = [];
    const h = make((k) => fired.push(k));
    const t0 = Date.now();
    for (let i = 0; i < 5_000; i++) h.schedule('a', t0 + 60_000 - i);
    h.schedule('b', t0 + 10);
    expect(h.size).to.equal(2);
    await until(() => fired.length === 1);
    expect(fired).to.deep.equal(['b']);
    expect(h.has('a')).to.equal(true);
  });

  it('clear forgets every key and fires nothing', async () => {
    const fired: string[] = [];
    const h = make((k) => fired.push(k));
    h.schedule('a', Date.now() + 10);
    h.clear();
    expect(h.size).to.equal(0);
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).to.deep.equal([]);
  });
});
