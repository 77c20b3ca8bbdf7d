import { expect } from 'chai';
import { heldByOther } from '../../../src/runtime/leader.ts';

describe('Lease expiry', () => {
  const now = Date.parse('2026-01-01T00:00:30Z');
  const lease = (holderIdentity: string | null, renewTime: string, leaseDurationSeconds?: number) => ({
    metadata: { name: 'l', namespace: 'n' },
    spec: { holderIdentity, renewTime, ...(leaseDurationSeconds !== undefined && { leaseDurationSeconds }) },
  });

  it('is held by another candidate until renewTime + leaseDurationSeconds', () => {
    expect(heldByOther(lease('b', '2026-01-01T00:00:20.000000Z', 15), 'a', now, 15)).to.equal(true);
    expect(heldByOther(lease('b', '2026-01-01T00:00:15.000000Z', 15), 'a', now, 15)).to.equal(false);
    expect(heldByOther(lease('b', '2026-01-01T00:00:20.000000Z', 5), 'a', now, 15)).to.equal(false);
  });

  it('is free when released (no holder) or already ours', () => {
    expect(heldByOther(lease(null, '2026-01-01T00:00:29.000000Z', 15), 'a', now, 15)).to.equal(false);
    expect(heldByOther(lease('a', '2026-01-01T00:00:29.000000Z', 15), 'a', now, 15)).to.equal(false);
  });

  it('uses the default duration when the Lease has none', () => {
    expect(heldByOther(lease('b', '2026-01-01T00:00:20.000000Z'), 'a', now, 15)).to.equal(true);
    expect(heldByOther(lease('b', '2026-01-01T00:00:20.000000Z'), 'a', now, 5)).to.equal(false);
  });
});
