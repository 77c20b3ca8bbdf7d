// The schedule's decisions as pure functions of its spec, status, owned captures and the time, so the CronJob
// rules (catch-up, deadline, concurrency) and retention are unit-tested without a cluster.
import type { ConcurrencyPolicy, ScheduleRun } from '../../api/types.ts';
import type { CronSchedule } from './cron.ts';

export interface OwnedCapture {
  name: string;
  instanceId: string;
  scheduledTime: Date;
  /** Running (not yet Available or Failed), Available or Failed. */
  state: 'Active' | 'Available' | 'Failed';
  deleting: boolean;
}

export interface DueRun {
  /** The run to start now (the latest scheduled time not yet started), if any. */
  time?: Date;
  /** Scheduled times in the window that were passed over in favour of the latest one. */
  missed: number;
  /** More runs were missed than could be listed (an outage much longer than the schedule's period). */
  truncated: boolean;
  /** The latest due time was skipped because it is older than startingDeadlineSeconds. */
  tooLate?: Date;
}

/**
 * CronJob's rule: among the times after the last run (or the creation) up to now, only the latest one may start;
 * with startingDeadlineSeconds, only if it is no older than the deadline.
 */
export function dueRun(cron: CronSchedule, lastScheduleTime: Date | undefined, created: Date, now: Date, deadlineSeconds?: number): DueRun {
  const earliest = lastScheduleTime ?? created;
  const { times, truncated } = cron.between(earliest, now);
  if (times.length === 0) return { missed: 0, truncated: false };
  const latest = times[times.length - 1]!;
  const missed = times.length - 1;
  if (deadlineSeconds !== undefined && now.getTime() - latest.getTime() > deadlineSeconds * 1000) {
    return { missed, truncated, tooLate: latest };
  }
  return { time: latest, missed, truncated };
}

export type ConcurrencyDecision = { start: true; replace: string[] } | { start: false; reason: string };

export function concurrency(policy: ConcurrencyPolicy, active: OwnedCapture[]): ConcurrencyDecision {
  if (active.length === 0 || policy === 'Allow') return { start: true, replace: [] };
  if (policy === 'Replace') return { start: true, replace: active.map((c) => c.name) };
  return { start: false, reason: `${active.length} capture(s) of an earlier run still active (${active.map((c) => c.name).join(', ')}); concurrencyPolicy Forbid waits for them` };
}

export interface Retention {
  keepLast?: number;
  maxAgeMs?: number;
  keepFailed: number;
}

/**
 * Captures to delete, per instance: successful ones beyond keepLast or older than maxAge (the newest successful
 * one always stays), failed ones beyond keepFailed or older than maxAge. Active and deleting ones are left alone.
 */
export function pruneList(captures: OwnedCapture[], r: Retention, now: Date): string[] {
  const byInstance = new Map<string, OwnedCapture[]>();
  for (const c of captures) {
    if (c.deleting || c.state === 'Active') continue;
    byInstance.set(c.instanceId, [...(byInstance.get(c.instanceId) ?? []), c]);
  }
  const out: string[] = [];
  const tooOld = (c: OwnedCapture) => r.maxAgeMs !== undefined && now.getTime() - c.scheduledTime.getTime() > r.maxAgeMs;
  for (const list of byInstance.values()) {
    const newestFirst = [...list].sort((a, b) => b.scheduledTime.getTime() - a.scheduledTime.getTime());
    const ok = newestFirst.filter((c) => c.state === 'Available');
    ok.forEach((c, i) => {
      if (i === 0) return;
      if ((r.keepLast !== undefined && i >= r.keepLast) || tooOld(c)) out.push(c.name);
    });
    newestFirst.filter((c) => c.state === 'Failed').forEach((c, i) => {
      if (i >= r.keepFailed || tooOld(c)) out.push(c.name);
    });
  }
  return out.sort();
}

const HISTORY = 10;

/**
 * The run history, newest first, at most ten. A run still Running is recomputed from its captures: Failed as
 * soon as one failed or went missing before it finished, Succeeded when all are Available. A finished run keeps
 * its recorded result (its captures may since have been pruned).
 */
export function history(recorded: ScheduleRun[], captures: OwnedCapture[], started?: ScheduleRun): ScheduleRun[] {
  const byTime = new Map<string, ScheduleRun>();
  for (const r of recorded) byTime.set(r.scheduledTime, r);
  if (started) byTime.set(started.scheduledTime, started);
  const groups = new Map<string, OwnedCapture[]>();
  for (const c of captures) {
    const key = iso(c.scheduledTime);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  for (const time of new Set([...byTime.keys(), ...groups.keys()])) {
    const prior = byTime.get(time);
    if (prior && prior.result !== 'Running') continue;
    const list = groups.get(time) ?? [];
    const expected = Math.max(prior?.captures ?? 0, list.length);
    const failed = list.filter((c) => c.state === 'Failed');
    const missing = expected - list.length;
    const running = list.some((c) => c.state === 'Active');
    const failedCount = failed.length + missing;
    const names = [...failed.map((c) => c.name), ...(missing > 0 ? [`${missing} deleted before finishing`] : [])];
    byTime.set(time, {
      scheduledTime: time,
      result: failedCount > 0 && !running ? 'Failed' : running ? 'Running' : 'Succeeded',
      captures: expected,
      succeeded: list.filter((c) => c.state === 'Available').length,
      failed: failedCount,
      ...(names.length > 0 ? { message: `failed: ${names.join(', ')}`.slice(0, 1024) } : {}),
    });
  }
  return [...byTime.values()].sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime)).slice(0, HISTORY);
}

export function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
