// ImageSchedule: at each due time, one ImageCapture per selected instance (CronJob rules for catch-up,
// deadline and concurrency), retention pruning of the captures it owns, and a status that says when it last
// ran, when it runs next and how the last run went.
import type { Logger } from 'pino';
import { INSTANCE_LABEL, SCHEDULED_TIME_ANNOTATION } from '../../api/constants.ts';
import { markStalled, observeGeneration, setCondition } from '../../api/conditions.ts';
import { parseDuration } from '../../api/duration.ts';
import type { Reason } from '../../api/reasons.ts';
import type { ImageCapture, ImageSchedule, ImageScheduleStatus, ScheduleRun } from '../../api/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import { StallError, WaitError } from '../shared/outcomes.ts';
import { parseSchedule, ScheduleError, type CronSchedule } from './cron.ts';
import { concurrency, dueRun, history, iso, pruneList, type OwnedCapture, type Retention } from './plan.ts';
import { buildCapture, TemplateError, validateTemplate } from './template.ts';

export interface ImageScheduleDeps {
  getSchedule(namespace: string, name: string): ImageSchedule | undefined;
  /** ImageCaptures owned by the schedule (by its uid label), from the cache. */
  ownedCaptures(schedule: ImageSchedule): ImageCapture[];
  /** Creates the capture; an existing one of the same name (a run started before a crash) is fine. */
  createCapture(capture: ImageCapture): Promise<void>;
  deleteCapture(namespace: string, name: string): Promise<void>;
  /** Ids of the instances matching every tag, running or stopped: one DescribeInstances. */
  instancesByTags(schedule: ImageSchedule, tags: Record<string, string>): Promise<string[]>;
  patchStatus(obj: ImageSchedule, status: ImageScheduleStatus): Promise<void>;
  events: { normal(obj: ImageSchedule, reason: string, message: string): void; warning(obj: ImageSchedule, reason: string, message: string): void };
  clock: Clock;
  log: Logger;
}

interface Parsed {
  cron: CronSchedule;
  retention: Retention;
}

function parseSpec(obj: ImageSchedule): Parsed {
  const cron = parseSchedule(obj.spec.schedule, obj.spec.timeZone);
  validateTemplate(obj);
  const r = obj.spec.retention ?? {};
  let maxAgeMs: number | undefined;
  if (r.maxAge !== undefined) {
    try {
      maxAgeMs = parseDuration(r.maxAge);
    } catch {
      throw new StallError('InvalidRetention', `retention.maxAge "${r.maxAge}" is not a duration like 168h or 30m`);
    }
  }
  const ids = obj.spec.instances?.ids ?? [];
  const tags = obj.spec.instances?.tags;
  if ((ids.length > 0) === (tags !== undefined && Object.keys(tags).length > 0)) {
    throw new StallError('InvalidInstances', 'spec.instances sets exactly one of ids (a list of instance ids) or tags (cloud tags to match)');
  }
  return { cron, retention: { keepLast: r.keepLast, maxAgeMs, keepFailed: r.keepFailed ?? 1 } };
}

function owned(c: ImageCapture): OwnedCapture {
  const phase = c.status?.phase;
  const time = c.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION];
  return {
    name: c.metadata.name!,
    instanceId: c.metadata.labels?.[INSTANCE_LABEL] ?? c.spec.instanceId,
    scheduledTime: time ? new Date(time) : new Date(c.metadata.creationTimestamp ?? 0),
    state: phase === 'Available' ? 'Available' : phase === 'Failed' ? 'Failed' : 'Active',
    deleting: !!c.metadata.deletionTimestamp,
  };
}

/** How long a capture this reconciler created is assumed to exist while the cache has not shown it yet. */
const CACHE_GRACE_MS = 60_000;

export class ImageScheduleReconciler {
  private readonly deps: ImageScheduleDeps;
  /** Captures created but not yet seen in the cache, so a run is never judged on a cache older than its own writes. */
  private readonly created = new Map<string, { uid: string; capture: OwnedCapture; at: number }>();

  constructor(deps: ImageScheduleDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number }> {
    const [namespace, name] = key.split('/') as [string, string];
    const obj = this.deps.getSchedule(namespace, name);
    if (!obj || obj.metadata.deletionTimestamp) return {};
    const gen = obj.metadata.generation ?? 0;
    const now = this.deps.clock.now();
    let status: ImageScheduleStatus = structuredClone(obj.status ?? {});
    const before = JSON.stringify(status);

    let parsed: Parsed;
    try {
      parsed = parseSpec(obj);
    } catch (err) {
      if (!(err instanceof ScheduleError || err instanceof TemplateError || err instanceof StallError)) throw err;
      status = markStalled(status, (err as { reason: Reason }).reason, err.message, gen);
      status.nextScheduleTime = null as unknown as undefined;
      if (obj.status?.conditions?.find((c) => c.type === 'Stalled')?.message !== err.message) {
        this.deps.events.warning(obj, (err as { reason: string }).reason, err.message);
      }
      await this.write(obj, observeGeneration(status, gen), before);
      return {};
    }

    let captures = this.owned(obj);
    await this.prune(obj, captures, parsed.retention, now);

    let started: ScheduleRun | undefined;
    let waitMs: number | undefined;
    let problem: { reason: string; message: string } | undefined;
    const due = dueRun(parsed.cron, status.lastScheduleTime ? new Date(status.lastScheduleTime) : undefined,
      new Date(obj.metadata.creationTimestamp ?? now), now, obj.spec.startingDeadlineSeconds);
    if (due.tooLate) {
      this.deps.events.warning(obj, 'MissedSchedule', `the run due at ${iso(due.tooLate)} was not started within startingDeadlineSeconds (${obj.spec.startingDeadlineSeconds}s); it is skipped`);
    }
    if (due.time && !obj.spec.suspend) {
      const active = captures.filter((c) => c.state === 'Active' && !c.deleting);
      const decision = concurrency(obj.spec.concurrencyPolicy ?? 'Forbid', active);
      if (!decision.start) {
        this.deps.events.normal(obj, 'RunWaiting', `run due at ${iso(due.time)}: ${decision.reason}`);
      } else {
        try {
          started = await this.startRun(obj, due.time, decision.replace);
          status.lastScheduleTime = started.scheduledTime;
          if (due.missed > 0 || due.truncated) {
            this.deps.events.warning(obj, 'MissedSchedules', `${due.truncated ? 'more than 100' : due.missed} earlier run(s) were missed (the operator was not running or the schedule was blocked); only the latest, due at ${iso(due.time)}, was started`);
          }
          captures = this.owned(obj);
        } catch (err) {
          if (err instanceof WaitError) {
            problem = { reason: err.reason, message: err.message };
            waitMs = err.requeueAfterMs;
          } else if (err instanceof StallError) {
            problem = { reason: err.reason, message: err.message };
            waitMs = 60_000;
          } else {
            throw err;
          }
        }
      }
    }

    status.history = history(status.history ?? [], captures, started);
    const active = captures.filter((c) => c.state === 'Active' && !c.deleting);
    status.active = active.map((c) => ({ name: c.name, instanceId: c.instanceId }));
    status.activeCount = active.length;
    const lastOk = status.history.find((r) => r.result === 'Succeeded')?.scheduledTime;
    if (lastOk && (!status.lastSuccessfulTime || lastOk > status.lastSuccessfulTime)) status.lastSuccessfulTime = lastOk;
    const next = obj.spec.suspend ? undefined : parsed.cron.next(now);
    status.nextScheduleTime = next ? iso(next) : (null as unknown as undefined);
    status = this.conditions(obj, status, problem, gen);
    await this.write(obj, observeGeneration(status, gen), before);

    const delays = [waitMs, next ? this.deps.clock.realDelayMs(next.getTime() - now.getTime()) : undefined]
      .filter((d): d is number => d !== undefined && Number.isFinite(d));
    return delays.length ? { requeueAfterMs: Math.max(1, Math.min(...delays)) } : {};
  }

  private async startRun(obj: ImageSchedule, time: Date, replace: string[]): Promise<ScheduleRun> {
    for (const name of replace) {
      await this.deps.deleteCapture(obj.metadata.namespace!, name);
      this.deps.events.normal(obj, 'Replaced', `deleted active capture ${name} (concurrencyPolicy Replace)`);
    }
    const ids = obj.spec.instances.ids ?? await this.deps.instancesByTags(obj, obj.spec.instances.tags!);
    for (const id of ids) {
      const capture = buildCapture(obj, id, time);
      await this.deps.createCapture(capture);
      this.created.set(`${obj.metadata.namespace}/${capture.metadata.name}`, {
        uid: obj.metadata.uid!,
        capture: { name: capture.metadata.name!, instanceId: id, scheduledTime: time, state: 'Active', deleting: false },
        at: Date.now(),
      });
    }
    const run: ScheduleRun = { scheduledTime: iso(time), result: ids.length ? 'Running' : 'NoInstances', captures: ids.length, succeeded: 0, failed: 0 };
    if (ids.length === 0) {
      run.message = `no instance matched the tags ${JSON.stringify(obj.spec.instances.tags)}`;
      this.deps.events.warning(obj, 'NoInstances', `run due at ${run.scheduledTime}: ${run.message}`);
    } else {
      this.deps.events.normal(obj, 'RunStarted', `run due at ${run.scheduledTime}: ${ids.length} ImageCapture(s) for ${ids.join(', ')}`);
    }
    return run;
  }

  /** The schedule's captures from the cache, plus those it just created that the cache does not show yet. */
  private owned(obj: ImageSchedule): OwnedCapture[] {
    const list = this.deps.ownedCaptures(obj).map(owned);
    const seen = new Set(list.map((c) => c.name));
    for (const [key, entry] of this.created) {
      if (entry.uid !== obj.metadata.uid) continue;
      if (seen.has(entry.capture.name) || Date.now() - entry.at > CACHE_GRACE_MS) this.created.delete(key);
      else list.push({ ...entry.capture });
    }
    return list;
  }

  private async prune(obj: ImageSchedule, captures: OwnedCapture[], retention: Retention, now: Date): Promise<void> {
    for (const name of pruneList(captures, retention, now)) {
      await this.deps.deleteCapture(obj.metadata.namespace!, name);
      this.deps.events.normal(obj, 'Pruned', `deleted ImageCapture ${name} (retention); its deletionPolicy decides whether the image and snapshots go`);
      const c = captures.find((x) => x.name === name);
      if (c) c.deleting = true;
    }
  }

  /** Ready follows the last finished run; a problem starting a run shows as Ready False with its reason. */
  private conditions(obj: ImageSchedule, status: ImageScheduleStatus, problem: { reason: string; message: string } | undefined, gen: number): ImageScheduleStatus {
    const last = status.history?.find((r) => r.result !== 'Running');
    let ready: { status: 'True' | 'False'; reason: string; message: string };
    if (problem) ready = { status: 'False', ...problem };
    else if (!last) ready = { status: 'True', reason: obj.spec.suspend ? 'Suspended' : 'Scheduled', message: obj.spec.suspend ? 'suspended before its first run' : `no run has finished yet; next run at ${status.nextScheduleTime}` };
    else if (last.result === 'Succeeded') ready = { status: 'True', reason: 'Succeeded', message: `the run due at ${last.scheduledTime} captured ${last.succeeded} instance(s)${obj.spec.suspend ? '; suspended' : ''}` };
    else if (last.result === 'NoInstances') ready = { status: 'False', reason: 'NoInstancesMatched', message: `the run due at ${last.scheduledTime} found no instance: ${last.message ?? ''}` };
    else ready = { status: 'False', reason: 'LastRunFailed', message: `the run due at ${last.scheduledTime}: ${last.failed} of ${last.captures} capture(s) failed (${last.message ?? ''}); see those ImageCaptures` };
    let conditions = setCondition(status.conditions ?? [], { type: 'Ready', ...ready }, gen);
    conditions = setCondition(conditions, { type: 'Reconciling', status: 'False', reason: ready.reason, message: '' }, gen);
    conditions = setCondition(conditions, { type: 'Stalled', status: 'False', reason: ready.reason, message: '' }, gen);
    return { ...status, conditions };
  }

  private async write(obj: ImageSchedule, status: ImageScheduleStatus, before: string): Promise<void> {
    if (JSON.stringify(status) === before) return;
    await this.deps.patchStatus(obj, status);
  }
}
