import { expect } from 'chai';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/runtime/backoff.ts';

describe('backoffDelay', () => {
  const noJitter = { jitter: 0 };

  it('starts at 200 ms and doubles per failure by default', () => {
    expect(DEFAULT_BACKOFF.baseMs).to.equal(200);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, noJitter))).to.deep.equal([200, 400, 800, 1600]);
  });

  it('is capped at 5 minutes by default, even for huge failure counts', () => {
    expect(backoffDelay(12, noJitter)).to.equal(300_000);
    expect(backoffDelay(5000, noJitter)).to.equal(300_000);
  });

  it('treats 0 or negative failures as the first', () => {
    expect(backoffDelay(0, noJitter)).to.equal(200);
    expect(backoffDelay(-3, noJitter)).to.equal(200);
  });

  it('jitter only shortens the delay, by at most the jitter fraction', () => {
    expect(backoffDelay(3, { jitter: 0.5 }, () => 0)).to.equal(800);
    expect(backoffDelay(3, { jitter: 0.5 }, () => 0.999999)).to.equal(400);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, { baseMs: 100, capMs: 10_000, jitter: 0.25 });
      expect(d).to.be.within(600, 800);
    }
  });

  it('spreads delays of keys failing together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5)));
    expect(delays.size).to.be.greaterThan(10);
  });
});
