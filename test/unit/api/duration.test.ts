import { expect } from 'chai';
import { InvalidDurationError, formatDuration, parseDuration } from '../../../src/api/duration.ts';

describe('api/duration', () => {
  it('parses single units', () => {
    expect(parseDuration('250ms')).to.equal(250);
    expect(parseDuration('45s')).to.equal(45_000);
    expect(parseDuration('90m')).to.equal(5_400_000);
    expect(parseDuration('2h')).to.equal(7_200_000);
  });
  it('parses sequences and fractions as Go does', () => {
    expect(parseDuration('1h30m')).to.equal(5_400_000);
    expect(parseDuration('1h0m30s')).to.equal(3_630_000);
    expect(parseDuration('1.5h')).to.equal(5_400_000);
    expect(parseDuration('0.5s')).to.equal(500);
    expect(parseDuration('1m1ms')).to.equal(60_001);
    expect(parseDuration('0')).to.equal(0);
  });
  it('rejects what the CRD pattern rejects', () => {
    for (const bad of ['', '2', '1d', '-1h', '1h ', ' 1h', 'h', '1.h', '1hm']) {
      expect(() => parseDuration(bad), bad).to.throw(InvalidDurationError, /invalid duration/);
    }
  });
  it('formats like Go', () => {
    expect(formatDuration(5_400_000)).to.equal('1h30m0s');
    expect(formatDuration(90_000)).to.equal('1m30s');
    expect(formatDuration(1_500)).to.equal('1.5s');
    expect(formatDuration(250)).to.equal('250ms');
    expect(formatDuration(0)).to.equal('0s');
  });
});
