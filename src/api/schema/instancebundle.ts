// OpenAPI schema of InstanceBundle: bundle an instance's disk into S3, optionally register it (DESIGN.md §2).
import { KINDS } from '../constants.ts';
import type { KindDefinition, Schema } from './openapi.ts';
import {
  BUCKET_PATTERN, cloudId, cloudRef, createCalls, cloudRefImmutable, conditions, deletionPolicy, launchPermissions, revokeLaunchPermissionsOnDeletion, appliedLaunchPermissions, duration, frozenOnceAvailable, imageDescription,
  imageName, immutable, immutableOptional, initialStatus, instanceId, observedGeneration, ownedNameLength, progress, readyColumns, timestamp, withRule, cloudIdentity,
} from './common.ts';

const spec: Schema = {
  type: 'object',
  description: 'Which instance to bundle, where to store the bundle, and whether to register it as an image.',
  required: ['instanceId', 'storage'],
  properties: {
    cloudRef: cloudRef('InstanceBundle'),
    instanceId: instanceId('InstanceBundle'),
    storage: {
      type: 'object',
      description: 'Where the bundle (image manifest and parts) is stored. Immutable: create a new InstanceBundle to bundle elsewhere.',
      required: ['bucket', 'prefix'],
      properties: {
        bucket: { type: 'string', pattern: BUCKET_PATTERN, description: 'S3 bucket, 3 to 255 of [a-zA-Z0-9._-].' },
        prefix: { type: 'string', pattern: BUCKET_PATTERN, description: 'Object name prefix, 3 to 255 of [a-zA-Z0-9._-].' },
        createBucket: { type: 'boolean', default: false, description: 'Create the bucket when it does not exist (otherwise the bundle is Stalled with BucketNotFound).' },
      },
      'x-kubernetes-validations': [immutable('storage is immutable: create a new InstanceBundle to bundle elsewhere')],
    },
    uploadPolicyTTL: withRule(
      duration('How long the signed upload policy given to the cloud stays valid (Go-style duration above 0s, at most 8760h); the operator caps the policy\'s expiry at its --max-upload-policy-ttl (default 168h) and says so in the BundleStored condition. Immutable: it is signed once, when the bundle task starts.', '12h'),
      immutable('uploadPolicyTTL is immutable: the upload policy is signed once, when the bundle task starts'),
    ),
    register: {
      type: 'object',
      description: 'Register the bundle manifest as an image once stored. Immutable (it cannot be added, removed or changed): create a new InstanceBundle to register differently.',
      required: ['name'],
      properties: {
        name: imageName('Name of the image to register: 3 to 128 characters of the EC2 image-name alphabet. Immutable.'),
        description: imageDescription('InstanceBundle'),
        architecture: { type: 'string', enum: ['i386', 'x86_64'], description: 'Architecture of the image, i386 or x86_64; absent means the one recorded in the stored manifest.' },
      },
      'x-kubernetes-validations': [
        { rule: 'self.name == oldSelf.name', message: 'register.name is immutable: create a new InstanceBundle to register another image', fieldPath: '.name' },
      ],
    },
    deletionPolicy,
    launchPermissions,
    revokeLaunchPermissionsOnDeletion,
    timeout: duration('Go-style duration after which an unfinished bundle is Stalled with reason Timeout. May be changed while the bundle runs; immutable once it is Available (it can no longer act).', '2h'),
  },
  'x-kubernetes-validations': [
    cloudRefImmutable('InstanceBundle'),
    immutableOptional('register', 'register is immutable: create a new InstanceBundle to register the bundle differently'),
  ],
};

export const BUNDLE_PHASES = ['Pending', 'Bundling', 'Registering', 'Available', 'Failed', 'Deleting'] as const;

const status: Schema = {
  type: 'object',
  description: 'What the operator observed and did; written only by the operator. Before its first look: observedGeneration 0, phase Pending.',
  default: initialStatus('Pending'),
  properties: {
    phase: {
      type: 'string',
      enum: [...BUNDLE_PHASES],
      description: 'Coarse step: Pending (validating), Bundling (the cloud bundles and stores), Registering, Available (stored, and registered when asked), Failed (see the Stalled condition), Deleting (cleanup after deletion).',
    },
    bundleId: cloudId('Bundle task id.'),
    state: {
      type: 'string',
      description: 'The cloud\'s bundle task state, normalized.',
      enum: ['pending', 'waiting-for-shutdown', 'bundling', 'storing', 'cancelling', 'cancelled', 'complete', 'failed'],
    },
    progress,
    manifestLocation: { type: 'string', maxLength: 1024, description: 'bucket/prefix.manifest.xml of the stored bundle.' },
    imageId: cloudId('Id of the registered image.'),
    startedAt: timestamp('When the bundle task was started.'),
    createCalls: createCalls(['BundleInstance', 'RegisterImage']),
    completedAt: timestamp('When the bundle completed or failed.'),
    cloud: cloudIdentity,
    launchPermissions: appliedLaunchPermissions,
    observedGeneration,
    conditions,
  },
};

export const instanceBundle: KindDefinition = {
  ...KINDS.InstanceBundle,
  description: 'InstanceBundle bundles an instance into an S3 bucket and optionally registers the bundle as an image. Read progress in status.phase and the Ready, Reconciling and Stalled conditions.',
  spec,
  status,
  validations: [ownedNameLength, frozenOnceAvailable('timeout', 'timeout cannot change once the bundle is Available: it no longer acts')],
  printerColumns: [
    { name: 'Instance', type: 'string', jsonPath: '.spec.instanceId', description: 'Source instance.' },
    { name: 'Bucket', type: 'string', jsonPath: '.spec.storage.bucket', description: 'Bucket the bundle is stored in.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Current step of the bundle.' },
    { name: 'State', type: 'string', jsonPath: '.status.state', description: 'Bundle task state in the cloud.' },
    { name: 'Progress', type: 'integer', jsonPath: '.status.progress', description: 'Progress of the current work, percent.' },
    { name: 'Image', type: 'string', jsonPath: '.status.imageId', description: 'Registered image id, when register is set.' },
    ...readyColumns,
    { name: 'Prefix', type: 'string', jsonPath: '.spec.storage.prefix', priority: 1, description: 'Object name prefix of the bundle.' },
    { name: 'Bundle', type: 'string', jsonPath: '.status.bundleId', priority: 1, description: 'Bundle task id.' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
