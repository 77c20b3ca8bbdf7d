// The schedule as cron-parser reads it: five standard fields or a CronJob macro, in an IANA time zone.
// Anything else (six fields, @every, TZ= prefixes) is refused with a reason the Stalled condition carries.
import { CronExpressionParser } from 'cron-parser';

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class ScheduleError extends Error {
  readonly reason: 'InvalidSchedule' | 'InvalidTimeZone';
  constructor(reason: 'InvalidSchedule' | 'InvalidTimeZone', message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface CronSchedule {
  /** The first scheduled time strictly after `after`. */
  next(after: Date): Date;
  /** Scheduled times in (from, to], at most `limit` (the latest ones are what count). */
  between(from: Date, to: Date, limit?: number): { times: Date[]; truncated: boolean };
}

function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new ScheduleError('InvalidTimeZone', `timeZone "${tz}" is not an IANA time zone name (for example UTC or Europe/Berlin)`);
  }
}

export function parseSchedule(schedule: string, timeZone?: string): CronSchedule {
  const tz = timeZone ?? 'UTC';
  checkTimeZone(tz);
  const text = schedule.trim();
  let expression: string;
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (!macro) throw new ScheduleError('InvalidSchedule', `schedule "${schedule}": unknown macro; use one of ${Object.keys(MACROS).join(', ')}`);
    expression = macro;
  } else {
    const fields = text.split(/\s+/);
    if (/^TZ=|^CRON_TZ=/i.test(text)) throw new ScheduleError('InvalidSchedule', `schedule "${schedule}": set the time zone in spec.timeZone, not in the schedule`);
    if (fields.length !== 5) {
      throw new ScheduleError('InvalidSchedule', `schedule "${schedule}" has ${fields.length} fields; a schedule has five (minute hour day-of-month month day-of-week)`);
    }
    expression = fields.join(' ');
  }
  const parse = (currentDate: Date) => CronExpressionParser.parse(expression, { tz, currentDate });
  try {
    parse(new Date()).next();
  } catch (err) {
    throw new ScheduleError('InvalidSchedule', `schedule "${schedule}" is not a valid cron expression: ${(err as Error).message}`);
  }
  return {
    next(after) {
      return parse(after).next().toDate();
    },
    between(from, to, limit = 100) {
      // Walk back from `to`, so an outage of years costs `limit` steps, not one per missed time.
      const it = parse(new Date(to.getTime() + 1));
      const times: Date[] = [];
      while (times.length <= limit) {
        const t = it.prev().toDate();
        if (t.getTime() <= from.getTime()) return { times: times.reverse(), truncated: false };
        times.push(t);
      }
      times.pop();
      return { times: times.reverse(), truncated: true };
    },
  };
}
