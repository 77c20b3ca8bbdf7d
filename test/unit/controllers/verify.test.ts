import { expect } from 'chai';
import type { ImageCapture } from '../../../src/api/types.ts';
import type { ImageInfo, InstanceInfo } from '../../../src/cloud/ec2.ts';
import { compareImage, expectedDevices } from '../../../src/controllers/imagecapture/verify.ts';
import { sameTags } from '../../../src/controllers/imagecapture/tag-sync.ts';

const instance: InstanceInfo = {
  instanceId: 'i-1', state: 'running', rootDeviceType: 'ebs', rootDeviceName: '/dev/sda1', platform: 'linux',
  volumes: [
    { deviceName: '/dev/sda1', volumeId: 'vol-root', deleteOnTermination: true },
    { deviceName: '/dev/sdf', volumeId: 'vol-data', deleteOnTermination: false },
    { deviceName: '/dev/sdg', volumeId: 'vol-skip', deleteOnTermination: false },
  ],
};

function capture(spec: Partial<ImageCapture['spec']> = {}): ImageCapture {
  return { apiVersion: 'x', kind: 'ImageCapture', metadata: { name: 'c' }, spec: { instanceId: 'i-1', image: { name: 'img', description: 'd' }, ...spec } };
}

function image(devices: string[], o: Partial<ImageInfo> = {}): ImageInfo {
  return { imageId: 'ami-1', name: 'img', description: 'd', state: 'available', tags: {}, blockDeviceMappings: devices.map((deviceName) => ({ deviceName })), ...o };
}

describe('image verification', () => {
  const obj = capture({ blockDeviceMappings: [{ deviceName: '/dev/sdg', noDevice: true }, { deviceName: 'sdb', virtualName: 'ephemeral0' }] });

  it('CreateImage: the root, the attached volumes and the user mappings, minus noDevice', () => {
    const e = expectedDevices(obj, 'CreateImage', instance, []);
    expect([...e.present.keys()].sort()).to.deep.equal(['/dev/sda1', '/dev/sdb', '/dev/sdf']);
    expect([...e.absent]).to.deep.equal(['/dev/sdg']);
    expect(compareImage(obj, image(['/dev/sda1', '/dev/sdb', '/dev/sdf']), e, true)).to.deep.equal([]);
  });

  it('reports a dropped device, a suppressed device that is there, and a wrong name or description', () => {
    const e = expectedDevices(obj, 'CreateImage', instance, []);
    const diff = compareImage(obj, image(['/dev/sda1', '/dev/sdb', '/dev/sdg'], { name: 'other', description: '' }), e, true);
    expect(diff).to.deep.equal([
      "name is 'other', asked 'img'",
      "description is '', asked 'd'",
      'device /dev/sdf (volume vol-data) is missing from the image',
      'device /dev/sdg is in the image although spec.blockDeviceMappings suppresses it (noDevice)',
    ]);
  });

  it('Orchestrated: the captured snapshots are expected', () => {
    const e = expectedDevices(capture(), 'Orchestrated', undefined, [{ deviceName: '/dev/sda1', volumeId: 'vol-root', snapshotId: 'snap-1' }]);
    expect(compareImage(capture(), image([]), e, true)).to.deep.equal(['device /dev/sda1 (snapshot snap-1 of volume vol-root) is missing from the image']);
    // A cloud that registers its own snapshot instead of the one given is reported too.
    const other = image([], { blockDeviceMappings: [{ deviceName: '/dev/sda1', snapshotId: 'snap-2' }] });
    expect(compareImage(capture(), other, e, true)).to.deep.equal(['device /dev/sda1 maps snap-2, not snap-1']);
  });

  it('tag sets compare by content', () => {
    expect(sameTags({ a: '1', b: '2' }, { b: '2', a: '1' })).to.equal(true);
    expect(sameTags(undefined, {})).to.equal(true);
    expect(sameTags({ a: '1' }, { a: '2' })).to.equal(false);
  });
});
