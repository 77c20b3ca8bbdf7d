// OpenAPI schema of InstanceBundle: bundle an instance's disk into S3, optionally register it (DESIGN.md §2).
import { KINDS } from '../constants.ts';
import type { KindDefinition, Schema } from './openapi.ts';
import {
  BUCKET_PATTERN, cloudId, cloudRef, cloudRefImmutable, conditions, deletionPolicy, duration, imageDescription, imageName,
  immutable, instanceId, observedGeneration, progress, timestamp,
} from './common.ts';

const spec: Schema = {
  type: 'object',
  required: ['instanceId', 'storage'],
  properties: {
    cloudRef: cloudRef('InstanceBundle'),
    instanceId: instanceId('InstanceBundle'),
    storage: {
      type: 'object',
      description: 'Where the bundle (image manifest and parts) is stored.',
      required: ['bucket', 'prefix'],
      properties: {
        bucket: { type: 'string', pattern: BUCKET_PATTERN, description: 'S3 bucket, 3 to 255 of [a-zA-Z0-9._-].' },
        prefix: { type: 'string', pattern: BUCKET_PATTERN, description: 'Object name prefix, 3 to 255 of [a-zA-Z0-9._-].' },
        createBucket: { type: 'boolean', default: false, description: 'Create the bucket when it does not exist.' },
      },
      'x-kubernetes-validations': [immutable('storage is immutable: create a new InstanceBundle to bundle elsewhere')],
    },
    uploadPolicyTTL: duration('How long the signed upload policy given to the cloud stays valid.', '12h'),
    register: {
      type: 'object',
      description: 'Register the bundle manifest as an image once stored.',
      required: ['name'],
      properties: {
        name: imageName('Name of the image to register.'),
        description: imageDescription,
        architecture: { type: 'string', enum: ['i386', 'x86_64'] },
      },
      'x-kubernetes-validations': [
        { rule: 'self.name == oldSelf.name', message: 'register.name is immutable: create a new InstanceBundle to register another image', fieldPath: '.name' },
      ],
    },
    deletionPolicy,
    timeout: duration('Go-style duration after which the bundle is Stalled with reason Timeout.', '2h'),
  },
  'x-kubernetes-validations': [cloudRefImmutable('InstanceBundle')],
};

const status: Schema = {
  type: 'object',
  properties: {
    phase: { type: 'string', enum: ['Pending', 'Bundling', 'Registering', 'Available', 'Failed', 'Deleting'] },
    bundleId: cloudId('Bundle task id.'),
    state: {
      type: 'string',
      description: 'Normalized bundle task state.',
      enum: ['pending', 'waiting-for-shutdown', 'bundling', 'storing', 'cancelling', 'cancelled', 'complete', 'failed'],
    },
    progress,
    manifestLocation: { type: 'string', maxLength: 1024, description: 'bucket/prefix.manifest.xml of the stored bundle.' },
    imageId: cloudId('Id of the registered image.'),
    startedAt: timestamp('When the bundle task was started.'),
    completedAt: timestamp('When the bundle completed or failed.'),
    observedGeneration,
    conditions,
  },
};

export const instanceBundle: KindDefinition = {
  ...KINDS.InstanceBundle,
  description: 'InstanceBundle bundles an instance into an S3 bucket and optionally registers the bundle as an image.',
  spec,
  status,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'State', type: 'string', jsonPath: '.status.state' },
    { name: 'Bundle', type: 'string', jsonPath: '.status.bundleId' },
    { name: 'Image', type: 'string', jsonPath: '.status.imageId' },
    { name: 'Progress', type: 'integer', jsonPath: '.status.progress' },
    { name: 'Instance', type: 'string', jsonPath: '.spec.instanceId', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
