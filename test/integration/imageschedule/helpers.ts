// Helpers for the ImageSchedule tests: a schedule manifest, the schedule's captures, status waits and events.
// The operator runs on a ScaledClock that stands still; tests move it to the next scheduled time.
import { CoreV1Api } from '@kubernetes/client-node';
import { SCHEDULE_UID_LABEL } from '../../../src/api/constants.ts';
import type { ImageCapture, ImageSchedule, ImageScheduleStatus } from '../../../src/api/types.ts';
import type { ScaledClock } from '../../../src/runtime/clock.ts';
import { GROUP, VERSION } from '../../../src/api/constants.ts';
import { waitFor } from '../../env/index.ts';
import type { Scenario } from '../support/scenario.ts';

export function scheduleManifest(s: Scenario, name: string, spec: Record<string, unknown> & { captureTemplate?: Record<string, unknown> }) {
  const { captureTemplate, ...rest } = spec;
  return {
    metadata: { name },
    spec: {
      schedule: '* * * * *',
      ...rest,
      captureTemplate: {
        cloudRef: { name: s.cloudName },
        image: { nameTemplate: '{schedule}-{instance}-{time}' },
        ...captureTemplate,
      },
    },
  };
}

export async function schedule(s: Scenario, name: string): Promise<ImageSchedule> {
  return (await s.get<ImageSchedule>('imageschedules', name))!;
}

export async function capturesOf(s: Scenario, name: string): Promise<ImageCapture[]> {
  const sched = await schedule(s, name);
  const list = await s.custom.listNamespacedCustomObject({
    group: GROUP, version: VERSION, namespace: s.namespace, plural: 'imagecaptures', labelSelector: `${SCHEDULE_UID_LABEL}=${sched.metadata.uid}`,
  }) as { items: ImageCapture[] };
  return list.items.filter((c) => !c.metadata.deletionTimestamp);
}

export async function waitStatus(s: Scenario, name: string, what: string, test: (st: ImageScheduleStatus, obj: ImageSchedule) => boolean, timeoutMs = 60_000): Promise<ImageSchedule> {
  let last: ImageSchedule | undefined;
  try {
    await waitFor(async () => {
      last = await schedule(s, name);
      return !!last?.status && test(last.status, last);
    }, { timeoutMs, intervalMs: 100, message: `imageschedules/${name}: ${what}` });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`, { cause: err });
  }
  return last!;
}

export async function waitCaptures(s: Scenario, name: string, what: string, test: (c: ImageCapture[]) => boolean, timeoutMs = 60_000): Promise<ImageCapture[]> {
  let last: ImageCapture[] = [];
  try {
    await waitFor(async () => test(last = await capturesOf(s, name)), { timeoutMs, intervalMs: 100, message: `captures of ${name}: ${what}` });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last: ${JSON.stringify(last.map((c) => [c.metadata.name, c.status?.phase]))}`, { cause: err });
  }
  return last;
}

/** Moves the clock to the schedule's next run and returns that time. */
export async function advanceToNextRun(s: Scenario, clock: ScaledClock, name: string): Promise<string> {
  const sched = await waitStatus(s, name, 'nextScheduleTime set', (st) => !!st.nextScheduleTime);
  const next = sched.status!.nextScheduleTime!;
  clock.set(new Date(next));
  return next;
}

export async function eventsOf(s: Scenario, name: string): Promise<Array<{ reason?: string; message?: string; type?: string }>> {
  const core = s.env.kubeConfig.makeApiClient(CoreV1Api);
  return (await core.listNamespacedEvent({ namespace: s.namespace, fieldSelector: `involvedObject.name=${name}` })).items;
}

export const phases = (caps: ImageCapture[]) => caps.map((c) => c.status?.phase);
export const allAvailable = (n: number) => (caps: ImageCapture[]) => caps.length === n && caps.every((c) => c.status?.phase === 'Available');
