// The ImageSchedule's pure parts: cron parsing, CronJob catch-up and deadline rules, concurrency, retention,
// run history, and the capture built from the template.
import { expect } from 'chai';
import { INSTANCE_LABEL, SCHEDULE_UID_LABEL, SCHEDULED_TIME_ANNOTATION } from '../../../src/api/constants.ts';
import { SHARD_LABEL } from '../../../src/api/shard.ts';
import type { ImageSchedule } from '../../../src/api/types.ts';
import { parseSchedule } from '../../../src/controllers/imageschedule/cron.ts';
import { concurrency, dueRun, history, pruneList, type OwnedCapture } from '../../../src/controllers/imageschedule/plan.ts';
import { buildCapture, captureName, renderImageName, validateTemplate } from '../../../src/controllers/imageschedule/template.ts';
import { ScaledClock } from '../../../src/runtime/clock.ts';

const t = (s: string) => new Date(s);

describe('ImageSchedule cron', () => {
  it('reads five fields and the CronJob macros, in a time zone', () => {
    expect(parseSchedule('*/15 * * * *').next(t('2026-01-01T00:07:00Z')).toISOString()).to.equal('2026-01-01T00:15:00.000Z');
    expect(parseSchedule('@hourly').next(t('2026-01-01T00:07:00Z')).toISOString()).to.equal('2026-01-01T01:00:00.000Z');
    expect(parseSchedule('@midnight').next(t('2026-01-01T00:07:00Z')).toISOString()).to.equal('2026-01-02T00:00:00.000Z');
    // 02:00 in Berlin is 00:00 UTC in summer (CEST); the time itself is not "after" itself.
    expect(parseSchedule('0 2 * * *', 'Europe/Berlin').next(t('2026-07-01T00:00:00Z')).toISOString()).to.equal('2026-07-02T00:00:00.000Z');
    expect(parseSchedule('0 2 * * *', 'America/New_York').next(t('2026-01-01T00:00:00Z')).toISOString()).to.equal('2026-01-01T07:00:00.000Z');
  });

  it('refuses six fields, unknown macros, TZ prefixes, bad values and unknown zones with a reason', () => {
    const reason = (s: string, tz?: string) => { try { parseSchedule(s, tz); return 'accepted'; } catch (e) { return `${(e as { reason: string }).reason}: ${(e as Error).message}`; } };
    expect(reason('* * * * * *')).to.match(/^InvalidSchedule: .*6 fields/);
    expect(reason('@every 5m')).to.match(/^InvalidSchedule: .*unknown macro/);
    expect(reason('TZ=UTC 0 2 * * *')).to.match(/^InvalidSchedule: .*spec.timeZone/);
    expect(reason('61 * * * *')).to.match(/^InvalidSchedule: .*not a valid cron expression/);
    expect(reason('0 2 * * *', 'Mars/Olympus')).to.match(/^InvalidTimeZone: /);
  });
});

describe('ImageSchedule CronJob rules', () => {
  const cron = parseSchedule('*/5 * * * *');
  const created = t('2026-01-01T00:00:30Z');

  it('nothing is due before the first time; the first time is due once it passed', () => {
    expect(dueRun(cron, undefined, created, t('2026-01-01T00:04:59Z')).time).to.equal(undefined);
    expect(dueRun(cron, undefined, created, t('2026-01-01T00:05:00Z')).time?.toISOString()).to.equal('2026-01-01T00:05:00.000Z');
    expect(dueRun(cron, t('2026-01-01T00:05:00Z'), created, t('2026-01-01T00:09:00Z')).time).to.equal(undefined);
  });

  it('after an outage only the latest missed time starts, and the rest are counted', () => {
    const due = dueRun(cron, t('2026-01-01T00:05:00Z'), created, t('2026-01-01T00:31:00Z'));
    expect(due.time?.toISOString()).to.equal('2026-01-01T00:30:00.000Z');
    expect(due.missed).to.equal(4);
  });

  it('startingDeadlineSeconds skips a run that is too late, but not one within the deadline', () => {
    expect(dueRun(cron, t('2026-01-01T00:05:00Z'), created, t('2026-01-01T00:12:00Z'), 60).tooLate?.toISOString()).to.equal('2026-01-01T00:10:00.000Z');
    expect(dueRun(cron, t('2026-01-01T00:05:00Z'), created, t('2026-01-01T00:10:30Z'), 60).time?.toISOString()).to.equal('2026-01-01T00:10:00.000Z');
  });

  it('an outage of years is bounded: the latest time starts, the count is truncated', () => {
    const due = dueRun(parseSchedule('* * * * *'), t('2020-01-01T00:00:00Z'), created, t('2026-01-01T00:00:00Z'));
    expect(due.time?.toISOString()).to.equal('2026-01-01T00:00:00.000Z');
    expect(due.truncated).to.equal(true);
  });

  const cap = (name: string, state: OwnedCapture['state'], instanceId = 'i-1', time = '2026-01-01T00:00:00Z'): OwnedCapture => ({ name, instanceId, scheduledTime: t(time), state, deleting: false });

  it('Allow starts, Forbid waits, Replace names the active captures to delete', () => {
    const active = [cap('a', 'Active')];
    expect(concurrency('Allow', active)).to.deep.equal({ start: true, replace: [] });
    expect(concurrency('Forbid', active).start).to.equal(false);
    expect(concurrency('Replace', active)).to.deep.equal({ start: true, replace: ['a'] });
    expect(concurrency('Forbid', [])).to.deep.equal({ start: true, replace: [] });
  });

  it('retention: keepLast per instance over successful captures only; failed ones by keepFailed; active ones never', () => {
    const caps = [
      cap('a1', 'Available', 'i-a', '2026-01-01T01:00:00Z'), cap('a2', 'Available', 'i-a', '2026-01-01T02:00:00Z'),
      cap('a3', 'Failed', 'i-a', '2026-01-01T03:00:00Z'), cap('a4', 'Active', 'i-a', '2026-01-01T04:00:00Z'),
      cap('b1', 'Available', 'i-b', '2026-01-01T01:00:00Z'), cap('b2', 'Failed', 'i-b', '2026-01-01T02:00:00Z'), cap('b3', 'Failed', 'i-b', '2026-01-01T03:00:00Z'),
    ];
    expect(pruneList(caps, { keepLast: 1, keepFailed: 1 }, t('2026-01-01T05:00:00Z'))).to.deep.equal(['a1', 'b2']);
    expect(pruneList(caps, { keepLast: 2, keepFailed: 0 }, t('2026-01-01T05:00:00Z'))).to.deep.equal(['a3', 'b2', 'b3']);
  });

  it('retention: maxAge deletes old captures but always keeps the newest successful one', () => {
    const caps = [cap('a1', 'Available', 'i-a', '2026-01-01T01:00:00Z'), cap('a2', 'Available', 'i-a', '2026-01-01T02:00:00Z'), cap('a3', 'Failed', 'i-a', '2026-01-01T02:30:00Z')];
    expect(pruneList(caps, { maxAgeMs: 30 * 60_000, keepFailed: 5 }, t('2026-01-01T10:00:00Z'))).to.deep.equal(['a1', 'a3']);
    expect(pruneList(caps, { maxAgeMs: 10 * 3600_000, keepFailed: 5 }, t('2026-01-01T10:00:00Z'))).to.deep.equal([]);
  });

  it('history: running runs follow their captures, finished ones keep their result after pruning', () => {
    const started = { scheduledTime: '2026-01-01T02:00:00Z', result: 'Running' as const, captures: 2, succeeded: 0, failed: 0 };
    let h = history([], [cap('x', 'Active', 'i-a', '2026-01-01T02:00:00Z'), cap('y', 'Active', 'i-b', '2026-01-01T02:00:00Z')], started);
    expect(h[0]!.result).to.equal('Running');
    h = history(h, [cap('x', 'Available', 'i-a', '2026-01-01T02:00:00Z'), cap('y', 'Failed', 'i-b', '2026-01-01T02:00:00Z')]);
    expect(h[0]).to.deep.include({ result: 'Failed', succeeded: 1, failed: 1, message: 'failed: y' });
    h = history(h, []);
    expect(h[0]!.result).to.equal('Failed');
    const replaced = history([{ ...started, scheduledTime: '2026-01-01T03:00:00Z' }], []);
    expect(replaced[0]).to.deep.include({ result: 'Failed', failed: 2, message: 'failed: 2 deleted before finishing' });
    const many = history(Array.from({ length: 15 }, (_, i) => ({ ...started, result: 'Succeeded' as const, scheduledTime: `2026-01-01T${String(i).padStart(2, '0')}:00:00Z` })), []);
    expect(many).to.have.length(10);
    expect(many[0]!.scheduledTime).to.equal('2026-01-01T14:00:00Z');
  });
});

describe('ImageSchedule template', () => {
  const schedule = (nameTemplate: string, name = 'web-nightly'): ImageSchedule => ({
    apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'ImageSchedule',
    metadata: { name, namespace: 'images', uid: '0f6c3a4e-1111-2222-3333-444455556666' },
    spec: {
      schedule: '@daily', instances: { tags: { role: 'web' } },
      captureTemplate: { deletionPolicy: 'Delete', noReboot: true, image: { nameTemplate, description: 'nightly', tags: { team: 'web' } } },
    },
  });

  it('renders names with instance, UTC time and schedule, in every cloud\'s alphabet', () => {
    expect(renderImageName('{schedule}-{instance}-{time}', 'web', 'i-0A1B2C3D', t('2026-11-30T02:00:05Z'))).to.equal('web-i-0A1B2C3D-20261130-020005');
  });

  it('refuses templates that could collide, use unknown placeholders, or render names a cloud cannot take', () => {
    const reason = (tpl: string, name?: string) => { try { validateTemplate(schedule(tpl, name)); return 'ok'; } catch (e) { return (e as Error).message; } };
    expect(reason('web-{instance}-{time}')).to.equal('ok');
    expect(reason('web-{time}')).to.match(/must contain \{instance\} and \{time\}/);
    expect(reason('web-{instance}-{time}-{zone}')).to.match(/unknown placeholder \{zone\}/);
    expect(reason('web:{instance}-{time}')).to.match(/cannot be/);
    expect(reason(`${'x'.repeat(100)}-{instance}-{time}`)).to.match(/characters\)/);
  });

  it('builds the capture: owner reference, labels, scheduled-time annotation, template fields, unique names', () => {
    const s = schedule('{schedule}-{instance}-{time}');
    const c = buildCapture(s, 'i-0A1B2C3D', t('2026-11-30T02:00:00Z'));
    expect(c.metadata.name).to.equal('web-nightly-i-0a1b2c3d-1796004000');
    expect(c.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'ImageSchedule', name: 'web-nightly', uid: s.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(c.metadata.labels).to.deep.include({ [SCHEDULE_UID_LABEL]: s.metadata.uid, [INSTANCE_LABEL]: 'i-0A1B2C3D' });
    expect(c.metadata.annotations).to.deep.equal({ [SCHEDULED_TIME_ANNOTATION]: '2026-11-30T02:00:00Z' });
    expect(c.spec).to.deep.equal({ deletionPolicy: 'Delete', noReboot: true, instanceId: 'i-0A1B2C3D', image: { name: 'web-nightly-i-0A1B2C3D-20261130-020000', description: 'nightly', tags: { team: 'web' } } });
    const long = captureName('s'.repeat(250), 'i-0123456789abcdef0', t('2026-11-30T02:00:00Z'));
    expect(long.length, 'room for the owner tag namespace/name/uid in 255 characters').to.be.at.most(154);
    expect(long).to.match(/^s+-[0-9a-f]{10}-i-0123456789abcdef0-1796004000$/);
  });

  it("gives the capture the schedule's shard label, and none when the schedule has none", () => {
    const s = schedule('{schedule}-{time}');
    expect(buildCapture(s, 'i-1', t('2026-11-30T02:00:00Z')).metadata.labels).not.to.have.property(SHARD_LABEL);
    s.metadata.labels = { [SHARD_LABEL]: 'b', team: 'web' };
    const c = buildCapture(s, 'i-1', t('2026-11-30T02:00:00Z'));
    expect(c.metadata.labels).to.include({ [SHARD_LABEL]: 'b' }).and.not.have.property('team');
  });
});

describe('ScaledClock', () => {
  it('runs scale times faster, stands still at scale 0, and set() wakes listeners', () => {
    const frozen = new ScaledClock({ start: t('2026-01-01T00:00:00Z'), scale: 0 });
    expect(frozen.now().toISOString()).to.equal('2026-01-01T00:00:00.000Z');
    expect(frozen.realDelayMs(60_000)).to.equal(Infinity);
    let woke = 0;
    frozen.onJump(() => woke++);
    frozen.jump(90_000);
    expect(frozen.now().toISOString()).to.equal('2026-01-01T00:01:30.000Z');
    expect(woke).to.equal(1);
    const fast = new ScaledClock({ scale: 60 });
    expect(fast.realDelayMs(60_000)).to.equal(1_000);
  });
});
