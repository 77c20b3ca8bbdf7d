import { expect } from 'chai';
import {
  normalizeBundleState, normalizeImageState, normalizeSnapshotState, parseProgress,
} from '../../../src/cloud/states.ts';
import { toBundleTaskInfo, toSnapshotInfo } from '../../../src/cloud/ec2.ts';

describe('cloud/states normalization', () => {
  it('reads progress with or without %', () => {
    expect(parseProgress('20')).to.equal(20);
    expect(parseProgress('20%')).to.equal(20);
    expect(parseProgress(' 75 % ')).to.equal(75);
    expect(parseProgress('100%')).to.equal(100);
    expect(parseProgress(42)).to.equal(42);
    expect(parseProgress('')).to.equal(undefined);
    expect(parseProgress(undefined)).to.equal(undefined);
    expect(parseProgress('n/a')).to.equal(undefined);
    expect(parseProgress('250')).to.equal(100);
  });

  it('folds snapshot failed (Eucalyptus) and error (EC2) into failed', () => {
    expect(normalizeSnapshotState('failed')).to.equal('failed');
    expect(normalizeSnapshotState('error')).to.equal('failed');
    expect(normalizeSnapshotState('pending')).to.equal('pending');
    expect(normalizeSnapshotState('completed')).to.equal('completed');
  });

  it('maps image states', () => {
    expect(normalizeImageState('available')).to.equal('available');
    expect(normalizeImageState('pending')).to.equal('pending');
    expect(normalizeImageState('transient')).to.equal('pending');
    expect(normalizeImageState('failed')).to.equal('failed');
    expect(normalizeImageState('error')).to.equal('failed');
    expect(normalizeImageState('invalid')).to.equal('failed');
    expect(normalizeImageState('deregistered')).to.equal('deregistered');
    expect(normalizeImageState('hidden')).to.equal('unavailable');
  });

  it('maps both bundle task dialects', () => {
    expect(normalizeBundleState('canceling')).to.equal('cancelling'); // Eucalyptus, one "l"
    expect(normalizeBundleState('cancelling')).to.equal('cancelling'); // EC2
    expect(normalizeBundleState('cancelled')).to.equal('cancelled');
    expect(normalizeBundleState('none')).to.equal('pending');
    for (const s of ['pending', 'waiting-for-shutdown', 'bundling', 'storing', 'complete', 'failed'] as const) {
      expect(normalizeBundleState(s)).to.equal(s);
    }
  });

  it('normalizes SDK-shaped bundle tasks from both clouds', () => {
    const euca = toBundleTaskInfo({ BundleId: 'bun-ABCD1234', InstanceId: 'i-ABCD1234', State: 'canceling' as never, Progress: '20',
      Storage: { S3: { Bucket: 'bkt', Prefix: 'img' } } });
    expect(euca).to.deep.include({ bundleId: 'bun-ABCD1234', state: 'cancelling', progress: 20,
      manifestLocation: 'bkt/img.manifest.xml' });
    const aws = toBundleTaskInfo({ BundleId: 'bun-0abc', State: 'bundling', Progress: '45%',
      BundleTaskError: { Code: 'Client.Error', Message: 'boom' } });
    expect(aws).to.deep.include({ state: 'bundling', progress: 45, error: { code: 'Client.Error', message: 'boom' } });
  });

  it('normalizes SDK-shaped snapshots', () => {
    const s = toSnapshotInfo({ SnapshotId: 'snap-1', State: 'error', Progress: '37%', VolumeId: 'vol-1',
      Tags: [{ Key: 'k', Value: 'v' }] });
    expect(s).to.deep.include({ snapshotId: 'snap-1', state: 'failed', rawState: 'error', progress: 37, tags: { k: 'v' } });
  });
});
