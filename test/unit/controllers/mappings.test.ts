import { expect } from 'chai';
import { createImageMappings, mergeMappings, volumesToCapture } from '../../../src/controllers/imagecapture/mappings.ts';

const instance = {
  rootDeviceName: '/dev/sda1',
  volumes: [
    { deviceName: '/dev/sda1', volumeId: 'vol-ROOT0001', deleteOnTermination: true },
    { deviceName: '/dev/sdb', volumeId: 'vol-DATA0001', deleteOnTermination: false },
    { deviceName: 'sdc', volumeId: 'vol-DATA0002' },
  ],
};

describe('block device mappings', () => {
  it('captures the root and every attached volume by default', () => {
    const v = volumesToCapture(instance);
    expect(v.map((x) => x.deviceName)).to.deep.equal(['/dev/sda1', '/dev/sdb', '/dev/sdc']);
    expect(v[0]!.isRoot).to.equal(true);
  });

  it('captures only the root when includeAttachedVolumes is false', () => {
    expect(volumesToCapture(instance, [], false).map((x) => x.volumeId)).to.deep.equal(['vol-ROOT0001']);
  });

  it('skips attached volumes the user suppresses or replaces, never the root', () => {
    const v = volumesToCapture(instance, [
      { deviceName: '/dev/sdb', noDevice: true },
      { deviceName: 'sdc', ebs: { snapshotId: 'snap-00000001' } },
      { deviceName: '/dev/sda1', noDevice: true },
    ]);
    expect(v.map((x) => x.deviceName)).to.deep.equal(['/dev/sda1']);
  });

  it('merges user mappings over captured ones by device name', () => {
    const m = mergeMappings(
      [
        { deviceName: '/dev/sda1', snapshotId: 'snap-A', sizeGiB: 10 },
        { deviceName: '/dev/sdb', snapshotId: 'snap-B', deleteOnTermination: false },
      ],
      [
        { deviceName: 'sda1', ebs: { volumeSize: 30 } },
        { deviceName: '/dev/sdb', noDevice: true },
        { deviceName: '/dev/sdd', virtualName: 'ephemeral0' },
      ],
    );
    expect(m).to.deep.equal([
      { deviceName: '/dev/sda1', ebs: { snapshotId: 'snap-A', deleteOnTermination: true, volumeSize: 30 } },
      { deviceName: '/dev/sdb', noDevice: true },
      { deviceName: '/dev/sdd', virtualName: 'ephemeral0' },
    ]);
  });

  it('never sends a root mapping to the cloud CreateImage and suppresses attached volumes when asked', () => {
    const m = createImageMappings(instance, [{ deviceName: '/dev/sda1', ebs: { volumeSize: 20 } }, { deviceName: '/dev/sdb', ebs: { volumeSize: 40 } }], false);
    expect(m).to.deep.equal([
      { deviceName: '/dev/sdb', ebs: { volumeSize: 40 } },
      { deviceName: '/dev/sdc', noDevice: true },
    ]);
  });
});
