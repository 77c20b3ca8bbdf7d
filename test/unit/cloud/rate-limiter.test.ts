import { expect } from 'chai';
import { TokenBucket } from '../../../src/cloud/rate-limiter.ts';

/** Largest number of events inside any window of `windowMs` (sliding, anchored at each event). */
function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('cloud/rate-limiter TokenBucket', () => {
  it('never exceeds burst + qps*window over any sliding window', async () => {
    const qps = 40;
    const burst = 4;
    const bucket = new TokenBucket({ qps, burst });
    const times: number[] = [];
    const started = performance.now();
    await Promise.all(Array.from({ length: 50 }, () => bucket.acquire().then(() => times.push(performance.now()))));
    const total = performance.now() - started;
    times.sort((a, b) => a - b);
    for (const windowMs of [25, 100, 250, 500, 1000]) {
      const allowed = burst + (qps * windowMs) / 1000;
      expect(maxInWindow(times, windowMs), `window ${windowMs} ms`).to.be.at.most(Math.floor(allowed + 1e-9));
    }
    // 50 calls with 4 saved tokens need at least 46/40 s; allow generous slack above for a loaded machine.
    expect(total).to.be.at.least(((50 - burst) / qps) * 1000 - 5);
  });

  it('serves callers in arrival order', async () => {
    const bucket = new TokenBucket({ qps: 200, burst: 1 });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 20 }, (_, i) => bucket.acquire().then(() => order.push(i))));
    expect(order).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
  });

  it('lets a burst through at once', async () => {
    const bucket = new TokenBucket({ qps: 1, burst: 5 });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 5 }, () => bucket.acquire()));
    expect(performance.now() - t0).to.be.below(500);
  });

  it('pause() holds every caller and halves the rate; the rate then recovers', async () => {
    let clock = 0;
    const bucket = new TokenBucket({ qps: 100, burst: 10, now: () => clock, recoveryPerSecond: 0.1 });
    bucket.pause(50);
    expect(bucket.effectiveQps).to.equal(50);
    bucket.pause(50);
    expect(bucket.effectiveQps).to.equal(25);
    clock += 50; // pause over
    clock += 1000; // one second regains 10% of qps
    expect(bucket.effectiveQps).to.be.closeTo(35, 1e-6);
    clock += 60_000;
    expect(bucket.effectiveQps).to.equal(100);
    bucket.stop();
  });

  it('pause() delays waiting callers by at least the pause', async () => {
    const bucket = new TokenBucket({ qps: 1000, burst: 10 });
    const t0 = performance.now();
    bucket.pause(120);
    await bucket.acquire();
    expect(performance.now() - t0).to.be.at.least(119);
  });

  it('never lets the rate fall below its floor', () => {
    const bucket = new TokenBucket({ qps: 16, burst: 1, minFraction: 1 / 16, now: () => 0 });
    for (let i = 0; i < 20; i++) bucket.pause(0);
    expect(bucket.effectiveQps).to.equal(1);
  });

  it('stop() rejects waiters', async () => {
    const bucket = new TokenBucket({ qps: 0.001, burst: 1 });
    await bucket.acquire();
    const p = bucket.acquire();
    bucket.stop();
    let err: unknown;
    await p.catch((e: unknown) => { err = e; });
    expect(String(err)).to.match(/stopped/);
  });
});
