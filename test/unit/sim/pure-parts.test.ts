// Pure parts of eucasim: upload policy check, ids, filters, parameter matching, scheduler, log, faults.
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { paramMatcher, Params } from '../../../sim/ec2/params.ts';
import { Faults } from '../../../sim/faults.ts';
import { matchFilters, matchesAny } from '../../../sim/filters.ts';
import { hexId, IdGenerator, idHex, resourceTypeOf } from '../../../sim/ids.ts';
import { PROFILES } from '../../../sim/profiles.ts';
import { AccountRateLimiter } from '../../../sim/rate-limit.ts';
import { RequestLog } from '../../../sim/request-log.ts';
import { decodeAwsChunked } from '../../../sim/s3.ts';
import { Scheduler } from '../../../sim/scheduler.ts';
import { checkUploadPolicy } from '../../../sim/upload-policy-check.ts';
import { REALISTIC_LATENCY, resolveLatency, withJitter } from '../../../sim/latency.ts';
import { resolveProfile } from '../../../sim/profiles.ts';
import { SimState } from '../../../sim/state.ts';

function signed(policy: object, secret = 's3cret') {
  const policyBase64 = Buffer.from(JSON.stringify(policy)).toString('base64');
  return { policyBase64, signature: createHmac('sha1', secret).update(policyBase64).digest('base64') };
}

describe('eucasim pure parts', () => {
  describe('upload policy check', () => {
    const future = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, '');
    const good = { conditions: [{ acl: 'ec2-bundle-read' }, { bucket: 'b1' }, ['starts-with', '$key', 'img']], expiration: future };

    it('accepts the euca2ools layout signed over the base64 text', () => {
      const p = signed(good);
      expect(checkUploadPolicy({ ...p, secretKey: 's3cret', bucket: 'b1', prefix: 'img-1' })).to.deep.equal({ ok: true });
    });
    it('rejects a signature over the raw JSON', () => {
      const p = signed(good);
      const overJson = createHmac('sha1', 's3cret').update(JSON.stringify(good)).digest('base64');
      const r = checkUploadPolicy({ ...p, signature: overJson, secretKey: 's3cret', bucket: 'b1', prefix: 'img' });
      expect(r).to.include({ ok: false, code: 'SignatureDoesNotMatch' });
    });
    it('rejects expired, wrong bucket, uncovered prefix, missing acl, unknown key', () => {
      const check = (policy: object, prefix = 'img', bucket = 'b1', secretKey: string | null = 's3cret') =>
        checkUploadPolicy({ ...signed(policy), secretKey: secretKey ?? undefined, bucket, prefix });
      expect(check({ ...good, expiration: '2000-01-01T00:00:00' })).to.include({ ok: false });
      expect(check(good, 'img', 'other')).to.include({ ok: false, code: 'AccessDenied' });
      expect(check(good, 'xyz')).to.include({ ok: false, code: 'AccessDenied' });
      expect(check({ ...good, conditions: [{ bucket: 'b1' }, ['starts-with', '$key', '']] })).to.include({ ok: false });
      expect(check(good, 'img', 'b1', null)).to.include({ ok: false, code: 'InvalidAccessKeyId' });
    });
  });

  describe('ids', () => {
    it('follows each profile style', () => {
      expect(hexId('euca')).to.match(/^[0-9A-F]{8}$/);
      expect(hexId('aws')).to.match(/^[0-9a-f]{17}$/);
      const euca = new IdGenerator(PROFILES['eucalyptus-3.4'], () => false);
      expect(euca.next('snap-')).to.match(/^snap-[0-9A-F]{8}$/);
      const aws = new IdGenerator(PROFILES.aws, () => false);
      expect(aws.next('vol-')).to.match(/^vol-[0-9a-f]{17}$/);
    });
    it('retries taken ids and maps prefixes', () => {
      let calls = 0;
      const gen = new IdGenerator(PROFILES.aws, () => ++calls < 3);
      gen.next('i-');
      expect(calls).to.equal(3);
      expect(idHex('i-0A1B2C3D')).to.equal('0A1B2C3D');
      expect(resourceTypeOf('emi-12345678')).to.equal('image');
      expect(resourceTypeOf('bun-12345678')).to.equal(undefined);
    });
  });

  describe('filters', () => {
    it('matches wildcards and ORs values', () => {
      expect(matchesAny('web-server-1', ['web-*'])).to.equal(true);
      expect(matchesAny('web.1', ['web?1'])).to.equal(true);
      expect(matchesAny('webx1', ['web.1'])).to.equal(false);
      expect(matchesAny(['a', 'b'], ['c', 'b'])).to.equal(true);
    });
    it('ANDs filters, supports tags and rejects unknown names', () => {
      const item = { name: 'n1', tags: new Map([['env', 'prod']]) };
      const fields = { name: (i: { name: string }) => i.name };
      expect(matchFilters(item, new Map([['name', ['n*']], ['tag:env', ['prod']]]), fields)).to.equal(true);
      expect(matchFilters(item, new Map([['name', ['n*']], ['tag-key', ['team']]]), fields)).to.equal(false);
      expect(() => matchFilters(item, new Map([['bogus', ['x']]]), fields)).to.throw(/filter 'bogus' is invalid/);
    });
  });

  describe('query parameters', () => {
    it('matches indexed names without confusing NoDevice with .N', () => {
      const m = paramMatcher(['InstanceId.N', 'BlockDeviceMapping.N.NoDevice', 'BlockDeviceMapping.N.Ebs.*']);
      expect(m('InstanceId.12')).to.equal(true);
      expect(m('BlockDeviceMapping.1.NoDevice')).to.equal(true);
      expect(m('BlockDeviceMapping.1.Ebs.SnapshotId')).to.equal(true);
      expect(m('InstanceId')).to.equal(false);
      expect(m('TagSpecification.1.ResourceType')).to.equal(false);
    });
    it('reads lists, filters and mappings in index order', () => {
      const p = new Params({
        'InstanceId.2': 'b', 'InstanceId.1': 'a', 'Filter.1.Name': 'state', 'Filter.1.Value.1': 'x', 'Filter.1.Value.2': 'y',
        'BlockDeviceMapping.1.DeviceName': '/dev/sdb', 'BlockDeviceMapping.1.Ebs.VolumeSize': '8',
      });
      expect(p.list('InstanceId')).to.deep.equal(['a', 'b']);
      expect([...p.filters()]).to.deep.equal([['state', ['x', 'y']]]);
      expect(p.blockDeviceMappings()).to.deep.equal([{ deviceName: '/dev/sdb', ebs: { volumeSize: 8 } }]);
    });
  });

  describe('scheduler', () => {
    it('runs due work in order and advance() runs everything', () => {
      const s = new Scheduler();
      const ran: string[] = [];
      s.at(Date.now() + 60_000, () => ran.push('late'));
      s.at(Date.now() - 1, () => ran.push('due'));
      s.after(0, () => s.after(0, () => ran.push('chained')));
      s.settle();
      expect(ran).to.deep.equal(['due', 'chained']);
      expect(s.advance()).to.equal(1);
      expect(ran).to.deep.equal(['due', 'chained', 'late']);
      s.close();
    });
  });

  describe('request log', () => {
    it('keeps a bounded ring but exact counters', () => {
      const log = new RequestLog(3);
      for (let i = 0; i < 10; i++) log.add({ time: new Date(), action: i % 2 ? 'A' : 'B', params: { i: String(i) }, status: 200 });
      expect(log.entries().map((e) => e.params['i'])).to.deep.equal(['7', '8', '9']);
      expect(log.count('A')).to.equal(5);
      expect(log.byAction()).to.deep.equal({ A: 5, B: 5 });
      expect(log.peakPerSecond).to.be.greaterThan(0);
      log.clear();
      expect(log.count()).to.equal(0);
    });
  });

  describe('faults and rate limit', () => {
    it('fires count-limited and action-scoped rules', () => {
      const f = new Faults({ throttle: { count: 2, actions: ['DescribeSnapshots'] } });
      expect(f.take('throttle', 'DescribeImages')).to.equal(undefined);
      expect(f.take('throttle', 'DescribeSnapshots')).to.not.equal(undefined);
      expect(f.take('throttle', 'DescribeSnapshots')).to.not.equal(undefined);
      expect(f.take('throttle', 'DescribeSnapshots')).to.equal(undefined);
      expect(f.fired['throttle']).to.equal(2);
    });
    it('fires by rate', () => {
      let r = 0;
      const f = new Faults({ serverError: { rate: 0.5 } }, () => (r++ % 2 ? 0.9 : 0.1));
      const fired = [1, 2, 3, 4].map(() => f.take('serverError', 'X') !== undefined);
      expect(fired).to.deep.equal([true, false, true, false]);
    });
    it('limits each account to its rate', () => {
      const l = new AccountRateLimiter({ requestsPerSecond: 2, burst: 2 });
      expect([l.allow('a', 0), l.allow('a', 0), l.allow('a', 0), l.allow('b', 0), l.allow('a', 600)]).to.deep.equal([true, true, false, true, true]);
    });
  });

  describe('latency', () => {
    it('keeps realistic work pending with interpolated progress until advanced', () => {
      const state = new SimState(resolveProfile('eucalyptus-3.4'), resolveLatency('realistic'), new Faults());
      state.addAccount({ accountId: '123456789012', name: 'a', accessKeyId: 'AK', secretAccessKey: 'S' });
      const [inst] = state.seedInstances({ count: 1, attachedVolumes: 1 });
      state.scheduler.advance();
      const vol = state.volumes.get(inst!.attachments[1]!.volumeId)!;
      const snap = state.createSnapshot(vol, '123456789012', 'x');
      state.scheduler.settle();
      expect(snap.status).to.equal('pending');
      expect(state.snapshotProgress(snap)).to.match(/^\d{1,2}%$/);
      expect(snap.dueAt - snap.startTime.getTime()).to.be.within(REALISTIC_LATENCY.snapshotMs * 0.7 - 1, REALISTIC_LATENCY.snapshotMs * 1.3 + 1);
      state.scheduler.advance();
      expect([snap.status, state.snapshotProgress(snap)]).to.deep.equal(['completed', '100%']);
      state.scheduler.close();
    });
    it('applies jitter within bounds and zero stays zero', () => {
      expect(withJitter(1000, 0.3, () => 0)).to.equal(700);
      expect(withJitter(1000, 0.3, () => 1)).to.equal(1300);
      expect(withJitter(0, 0.3)).to.equal(0);
      expect(resolveLatency({ snapshotMs: 5 }).snapshotMs).to.equal(5);
    });
  });

  it('decodes aws-chunked bodies', () => {
    const framed = Buffer.from('5;chunk-signature=abc\r\nhello\r\n3\r\n!!!\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n');
    expect(decodeAwsChunked(framed).toString()).to.equal('hello!!!');
  });
});
