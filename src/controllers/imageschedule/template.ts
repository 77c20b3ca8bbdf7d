// From a schedule's captureTemplate to the ImageCapture of one instance and one run: the image name rendered
// from its template, the object's name, labels, annotation and ownerReference.
import { createHash } from 'node:crypto';
import {
  API_VERSION, INSTANCE_LABEL, KINDS, SCHEDULE_NAME_LABEL, SCHEDULE_UID_LABEL, SCHEDULED_TIME_ANNOTATION,
} from '../../api/constants.ts';
import { SHARD_LABEL } from '../../api/shard.ts';
import { IMAGE_NAME_PATTERN, MAX_OWNED_NAME } from '../../api/schema/common.ts';
import type { ImageCapture, ImageSchedule } from '../../api/types.ts';

export class TemplateError extends Error {
  readonly reason = 'InvalidTemplate';
}

/** `YYYYMMDD-HHMMSS` in UTC: letters and digits only, so it fits every cloud's image-name alphabet. */
export function stamp(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, '').replace(/-/g, '').replace('T', '-').replace(/:/g, '');
}

export function renderImageName(template: string, scheduleName: string, instanceId: string, time: Date): string {
  return template.replaceAll('{instance}', instanceId).replaceAll('{time}', stamp(time)).replaceAll('{schedule}', scheduleName);
}

/**
 * Refuses a template whose names could collide or could not be registered: it must name the instance and the
 * time, and the longest name it renders (17-digit instance ids) must fit the image-name rules.
 */
export function validateTemplate(schedule: ImageSchedule): void {
  const template = schedule.spec.captureTemplate?.image?.nameTemplate ?? '';
  if (!template.includes('{instance}') || !template.includes('{time}')) {
    throw new TemplateError(`captureTemplate.image.nameTemplate "${template}" must contain {instance} and {time}, so the names of two runs or two instances never collide`);
  }
  const unknown = template.match(/\{[^}]*\}/g)?.filter((p) => !['{instance}', '{time}', '{schedule}'].includes(p));
  if (unknown?.length) {
    throw new TemplateError(`captureTemplate.image.nameTemplate uses unknown placeholder ${unknown[0]}; the placeholders are {instance}, {time} and {schedule}`);
  }
  const longest = renderImageName(template, schedule.metadata.name ?? '', 'i-0123456789abcdef0', new Date('2099-12-31T23:59:59Z'));
  if (!new RegExp(IMAGE_NAME_PATTERN).test(longest)) {
    throw new TemplateError(`captureTemplate.image.nameTemplate renders names like "${longest}" (${longest.length} characters), which an image name cannot be: 3 to 128 characters of letters, digits and ( ) [ ] . / - ' @ _ or space (Eucalyptus 3.4 allows only letters, digits and ( ) , / _ -)`);
  }
}

/**
 * Kubernetes name of the capture: schedule, lower-case instance id and the scheduled time in seconds, at most
 * MAX_OWNED_NAME characters so the owner tag of its cloud objects fits the clouds' tag values.
 */
export function captureName(scheduleName: string, instanceId: string, time: Date): string {
  const suffix = `-${instanceId.toLowerCase()}-${Math.floor(time.getTime() / 1000)}`;
  const room = MAX_OWNED_NAME - suffix.length;
  const head = scheduleName.length <= room
    ? scheduleName
    : `${scheduleName.slice(0, room - 11)}-${createHash('sha256').update(scheduleName).digest('hex').slice(0, 10)}`;
  return `${head}${suffix}`;
}

export function buildCapture(schedule: ImageSchedule, instanceId: string, time: Date): ImageCapture {
  const { image, ...rest } = schedule.spec.captureTemplate;
  const name = schedule.metadata.name!;
  return {
    apiVersion: API_VERSION,
    kind: 'ImageCapture',
    metadata: {
      name: captureName(name, instanceId, time),
      namespace: schedule.metadata.namespace!,
      labels: {
        [SCHEDULE_UID_LABEL]: schedule.metadata.uid!,
        ...(name.length <= 63 ? { [SCHEDULE_NAME_LABEL]: name } : {}),
        [INSTANCE_LABEL]: instanceId,
        // A schedule's captures are reconciled by the schedule's shard.
        ...(schedule.metadata.labels?.[SHARD_LABEL] !== undefined ? { [SHARD_LABEL]: schedule.metadata.labels[SHARD_LABEL] } : {}),
      },
      annotations: { [SCHEDULED_TIME_ANNOTATION]: time.toISOString().replace(/\.\d{3}Z$/, 'Z') },
      ownerReferences: [{
        apiVersion: API_VERSION, kind: KINDS.ImageSchedule.kind, name, uid: schedule.metadata.uid!,
        controller: true, blockOwnerDeletion: true,
      }],
    },
    spec: {
      ...rest,
      instanceId,
      image: {
        name: renderImageName(image.nameTemplate, name, instanceId, time),
        ...(image.description !== undefined ? { description: image.description } : {}),
        ...(image.tags ? { tags: image.tags } : {}),
      },
    },
  };
}
