import { expect } from 'chai';
import { snapshotDescription } from '../../../src/controllers/imagecapture/orchestrated.ts';

describe('controllers/imagecapture snapshot description', () => {
  it('keeps image, device and owner when they fit', () => {
    expect(snapshotDescription('web', '/dev/sda1', 'ns/cap/uid')).to.equal('web /dev/sda1 (ns/cap/uid)');
  });

  it('fits 255 characters, cutting the image name first and keeping the owner whole while it fits', () => {
    const owner = `${'n'.repeat(63)}/${'c'.repeat(100)}/${'u'.repeat(36)}`;
    const d = snapshotDescription('i'.repeat(128), '/dev/sdb', owner);
    expect(d.length).to.equal(255);
    expect(d.endsWith(` /dev/sdb (${owner})`)).to.equal(true);
    // The longest names possible still give a description the cloud accepts (the owner tag remains the proof).
    const longest = snapshotDescription('i'.repeat(128), `/dev/${'x'.repeat(59)}`, `${'n'.repeat(63)}/${'c'.repeat(154)}/${'u'.repeat(36)}`);
    expect(longest.length).to.be.at.most(255);
  });
});
