// Wires the ImageSchedule reconciler: its cache, the ImageCapture cache as a secondary source (a capture that
// finishes wakes its schedule), capture creation and deletion, the cloud for tag selection, and the clock.
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, KINDS, SCHEDULE_UID_LABEL } from '../../api/constants.ts';
import type { ImageCapture, ImageSchedule, ImageScheduleStatus } from '../../api/types.ts';
import { findInstancesByTags } from '../../cloud/ec2.ts';
import type { Clock } from '../../runtime/clock.ts';
import { Controller } from '../../runtime/controller.ts';
import type { ManagerContext } from '../../runtime/manager.ts';
import { kubeRequest, resourcePath, statusCodeOf } from '../../runtime/rest.ts';
import type { CloudContexts } from '../shared/cloud-context.ts';
import type { CloudResolver } from '../shared/cloud-resolver.ts';
import { FreshObjects } from '../shared/fresh-objects.ts';
import { outcomeOfCloudError } from '../shared/outcomes.ts';
import { eventSink, resourceWriter } from '../shared/resource-writer.ts';
import { ImageScheduleReconciler } from './reconciler.ts';

export const IMAGE_SCHEDULE = KINDS.ImageSchedule.kind;
const kindRef = { apiVersion: API_VERSION, plural: KINDS.ImageSchedule.plural };
const captureRef = { apiVersion: API_VERSION, plural: KINDS.ImageCapture.plural };

export interface ImageScheduleControllerOptions {
  clouds: CloudResolver;
  contexts: CloudContexts;
  clock: Clock;
}

export function imageScheduleController(ctx: ManagerContext, o: ImageScheduleControllerOptions): Controller<ImageSchedule> {
  const schedules = ctx.informer<ImageSchedule>({ apiVersion: API_VERSION, plural: KINDS.ImageSchedule.plural, kind: IMAGE_SCHEDULE, sharded: true });
  const captures = ctx.informer<ImageCapture>({ apiVersion: API_VERSION, plural: KINDS.ImageCapture.plural, kind: KINDS.ImageCapture.kind, sharded: true });
  const fresh = new FreshObjects<ImageSchedule>();
  const log = ctx.log.child({ controller: 'imageschedule' });
  const keyOf = (x: KubernetesObject) => `${x.metadata?.namespace}/${x.metadata?.name}`;

  const reconciler = new ImageScheduleReconciler({
    getSchedule: (ns, name) => fresh.pick(`${ns}/${name}`, schedules.get(ns, name)),
    ownedCaptures: (s) => {
      // Only captures of the schedule's namespace are looked at (cache keys are namespace/name).
      const prefix = `${s.metadata.namespace}/`;
      const owned: ImageCapture[] = [];
      for (const c of captures.values((key) => key.startsWith(prefix))) if (c.metadata.labels?.[SCHEDULE_UID_LABEL] === s.metadata.uid) owned.push(c);
      return owned;
    },
    async createCapture(capture) {
      try {
        await kubeRequest(ctx.kubeConfig, 'POST', resourcePath({ ...captureRef, namespace: capture.metadata.namespace }), { body: capture });
      } catch (err) {
        if (statusCodeOf(err) !== 409) throw err;
      }
    },
    async deleteCapture(namespace, name) {
      try {
        await kubeRequest(ctx.kubeConfig, 'DELETE', resourcePath({ ...captureRef, namespace, name }));
      } catch (err) {
        if (statusCodeOf(err) !== 404) throw err;
      }
    },
    async instancesByTags(s, tags) {
      const { settings } = await o.clouds.resolve(s.metadata.namespace!, s.spec.captureTemplate.cloudRef);
      const cloud = await o.contexts.forKind(IMAGE_SCHEDULE, settings);
      try {
        return await findInstancesByTags(cloud.gw, tags);
      } catch (err) {
        throw outcomeOfCloudError(err, 'DescribeInstances by tags');
      }
    },
    patchStatus: resourceWriter<ImageSchedule, ImageScheduleStatus>(ctx, kindRef, fresh).patchStatus,
    events: eventSink<ImageSchedule>(ctx),
    clock: o.clock,
    log,
  });

  const controller = new Controller<ImageSchedule>({
    name: 'imageschedule',
    primary: schedules,
    secondaries: [
      {
        // A capture of the schedule changed (finished, failed, deleted): recompute the run and retention.
        cache: captures as never,
        map: (c) => {
          const uid = c.metadata?.labels?.[SCHEDULE_UID_LABEL];
          const owner = uid ? schedules.list().find((s) => s.metadata.uid === uid) : undefined;
          return owner ? [keyOf(owner)] : [];
        },
      },
    ],
    updatePredicate: (a, b) => a.metadata.generation !== b.metadata.generation
      || !!a.metadata.deletionTimestamp !== !!b.metadata.deletionTimestamp,
    queue: { concurrency: 4 },
    reconcile: (key) => reconciler.reconcile(key),
    log,
  });
  // A test clock that jumps makes every schedule look at the new time at once.
  o.clock.onJump?.(() => {
    for (const s of schedules.list()) controller.enqueue(keyOf(s));
  });
  return controller;
}
