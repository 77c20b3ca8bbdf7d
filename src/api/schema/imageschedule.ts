// OpenAPI schema of ImageSchedule: ImageCaptures on a cron schedule, with retention (CronJob semantics).
import { KINDS } from '../constants.ts';
import { imageCapture } from './imagecapture.ts';
import type { KindDefinition, Schema } from './openapi.ts';
import {
  INSTANCE_ID_PATTERN, conditions, duration, imageDescription, initialStatus, observedGeneration, readyColumns, tags, timestamp,
} from './common.ts';

/** A copy of a schema without its transition rules: a template may change at any time; only its next run uses it. */
function withoutTransitionRules(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  const rules = schema['x-kubernetes-validations']?.filter((r) => !r.rule.includes('oldSelf'));
  if (rules && rules.length > 0) copy['x-kubernetes-validations'] = rules;
  else delete copy['x-kubernetes-validations'];
  if (schema.properties) {
    copy.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, withoutTransitionRules(v)]));
  }
  if (schema.items) copy.items = withoutTransitionRules(schema.items);
  return copy;
}

/** Drops the "Immutable: ..." sentence of a field copied from ImageCapture: in a template every field may change. */
function mutableDescription(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  if (copy.description) copy.description = copy.description.replace(/ Immutable:.*$/s, '');
  if (schema.properties) copy.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, mutableDescription(v)]));
  return copy;
}

const { instanceId: _instanceId, image: _image, ...captureFields } = imageCapture.spec.properties!;

export const NAME_TEMPLATE_HELP = 'Placeholders: {instance} (instance id), {time} (scheduled time, UTC, YYYYMMDD-HHMMSS), {schedule} (name of this ImageSchedule). Must contain {instance} and {time}, so names never collide; rendered, it must be 3 to 128 characters of the image-name alphabet (Eucalyptus 3.4 accepts only [A-Za-z0-9(),/_-]).';

const captureTemplate: Schema = mutableDescription(withoutTransitionRules({
  type: 'object',
  description: 'The ImageCapture spec each run creates, one per instance, without instanceId. Changes apply from the next run on.',
  required: ['image'],
  properties: {
    ...captureFields,
    image: {
      type: 'object',
      description: 'The image each capture registers.',
      required: ['nameTemplate'],
      properties: {
        nameTemplate: {
          type: 'string',
          minLength: 3,
          maxLength: 128,
          description: `Image name template. ${NAME_TEMPLATE_HELP}`,
          'x-kubernetes-validations': [
            { rule: "self.contains('{instance}') && self.contains('{time}')", message: 'image.nameTemplate must contain {instance} and {time}, so the names of two runs or two instances never collide' },
          ],
        },
        description: imageDescription('ImageCapture'),
        tags,
      },
    },
  },
  'x-kubernetes-validations': imageCapture.spec['x-kubernetes-validations']?.filter((r) => !r.rule.includes('oldSelf')),
}));

const spec: Schema = {
  type: 'object',
  description: 'When to capture, which instances, how, and how many images to keep.',
  required: ['schedule', 'instances', 'captureTemplate'],
  properties: {
    schedule: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description: 'Cron schedule: the standard five fields (minute hour day-of-month month day-of-week) or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly. Evaluated in timeZone.',
    },
    timeZone: {
      type: 'string',
      maxLength: 64,
      description: 'IANA time zone name the schedule is read in, for example Europe/Berlin; absent means UTC.',
    },
    suspend: { type: 'boolean', default: false, description: 'true stops new runs (running captures go on); runs missed while suspended are not caught up unless startingDeadlineSeconds still allows them.' },
    startingDeadlineSeconds: {
      type: 'integer',
      format: 'int64',
      minimum: 0,
      description: 'A run that could not start within this many seconds of its scheduled time is skipped (counted as missed). Absent means no deadline: after an outage the latest missed run starts once.',
    },
    concurrencyPolicy: {
      type: 'string',
      enum: ['Allow', 'Forbid', 'Replace'],
      default: 'Forbid',
      description: "What a run does while captures of an earlier run are still active: Allow starts anyway, Forbid skips the run until they finish, Replace deletes them (their deletionPolicy applies) and starts the new run. CronJob semantics; the default is Forbid because two captures of one instance at once only slow each other.",
    },
    instances: {
      type: 'object',
      description: 'Which instances each run captures: a fixed list of ids, or every instance whose cloud tags match (one DescribeInstances per run).',
      properties: {
        ids: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          'x-kubernetes-list-type': 'set',
          items: { type: 'string', pattern: INSTANCE_ID_PATTERN, description: 'Instance id.' },
          description: 'Instance ids, 1 to 100.',
        },
        tags: {
          type: 'object',
          minProperties: 1,
          maxProperties: 10,
          additionalProperties: { type: 'string', maxLength: 256, description: 'Tag value; * and ? are wildcards, as in EC2 filters.' },
          description: 'Cloud tags an instance must all carry (ANDed), evaluated at every run; stopped and running instances match, terminated ones do not.',
        },
      },
      'x-kubernetes-validations': [
        { rule: 'has(self.ids) != has(self.tags)', message: 'instances sets exactly one of ids or tags' },
      ],
    },
    captureTemplate,
    retention: {
      type: 'object',
      description: 'How many of the images this schedule made are kept, per instance. Pruning deletes the ImageCapture; its deletionPolicy decides whether the image and snapshots go too.',
      properties: {
        keepLast: { type: 'integer', minimum: 1, maximum: 1000, description: 'Keep the newest N successful captures of each instance; failed captures do not count.' },
        maxAge: duration('Delete successful captures whose scheduled time is older than this (Go-style duration, for example 168h); the newest successful capture of an instance is always kept.'),
        keepFailed: { type: 'integer', minimum: 0, maximum: 100, default: 1, description: 'Failed captures kept per instance for inspection (newest first); older failed ones are deleted.' },
      },
    },
  },
};

const run: Schema = {
  type: 'object',
  description: 'One run of the schedule.',
  required: ['scheduledTime', 'result'],
  properties: {
    scheduledTime: timestamp('The scheduled time of the run.'),
    result: { type: 'string', enum: ['Running', 'Succeeded', 'Failed', 'NoInstances'], description: 'Running, Succeeded (every capture Available), Failed (at least one capture failed) or NoInstances (nothing matched).' },
    captures: { type: 'integer', minimum: 0, description: 'ImageCaptures the run created.' },
    succeeded: { type: 'integer', minimum: 0, description: 'Of those, Available.' },
    failed: { type: 'integer', minimum: 0, description: 'Of those, Failed (or deleted before they finished).' },
    message: { type: 'string', maxLength: 1024, description: 'What went wrong, naming the failed captures.' },
  },
};

const status: Schema = {
  type: 'object',
  description: 'What the schedule did; written only by the operator.',
  default: initialStatus(),
  properties: {
    lastScheduleTime: timestamp('Scheduled time of the latest run that started.'),
    nextScheduleTime: timestamp('When the next run is due; absent while suspended or stalled.'),
    lastSuccessfulTime: timestamp('Scheduled time of the latest run whose captures all became Available.'),
    active: {
      type: 'array',
      maxItems: 200,
      description: 'ImageCaptures of this schedule still in progress.',
      items: {
        type: 'object',
        required: ['name'],
        description: 'One active capture.',
        properties: {
          name: { type: 'string', maxLength: 253, description: 'ImageCapture name.' },
          instanceId: { type: 'string', maxLength: 32, description: 'Instance it captures.' },
        },
      },
    },
    activeCount: { type: 'integer', minimum: 0, description: 'Number of active captures (the ACTIVE column).' },
    history: { type: 'array', maxItems: 10, items: run, description: 'The last runs, newest first (at most 10).' },
    observedGeneration,
    conditions,
  },
};

export const imageSchedule: KindDefinition = {
  ...KINDS.ImageSchedule,
  description: 'ImageSchedule creates ImageCaptures on a cron schedule and prunes old ones (CronJob semantics). Ready is True while the last run succeeded; Stalled names an invalid schedule or template.',
  spec,
  status,
  printerColumns: [
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule', description: 'Cron schedule.' },
    { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend', description: 'Whether new runs are suspended.' },
    { name: 'Last Schedule', type: 'date', jsonPath: '.status.lastScheduleTime', description: 'Scheduled time of the latest run.' },
    { name: 'Next Schedule', type: 'string', jsonPath: '.status.nextScheduleTime', description: 'When the next run is due.' },
    { name: 'Active', type: 'integer', jsonPath: '.status.activeCount', description: 'Captures in progress.' },
    ...readyColumns,
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
