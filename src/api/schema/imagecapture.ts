// OpenAPI schema of ImageCapture: turn a running instance into a registered image (DESIGN.md §2).
import { KINDS } from '../constants.ts';
import type { KindDefinition, Schema } from './openapi.ts';
import {
  DEVICE_NAME_PATTERN, SNAPSHOT_ID_PATTERN,
  cloudId, cloudRef, createCalls, cloudRefImmutable, conditions, deletionPolicy, launchPermissions, revokeLaunchPermissionsOnDeletion, appliedLaunchPermissions, duration, frozenOnceAvailable, imageDescription, imageName,
  immutable, immutableOptional, initialStatus, instanceId, observedGeneration, ownedNameLength, progress, readyColumns, tags, timestamp, cloudIdentity,
} from './common.ts';

const blockDeviceMapping: Schema = {
  type: 'object',
  description: 'One device of the image: deviceName plus exactly one of ebs, virtualName or noDevice.',
  required: ['deviceName'],
  properties: {
    deviceName: { type: 'string', description: 'Device name, for example /dev/sdb.', pattern: DEVICE_NAME_PATTERN, maxLength: 64 },
    ebs: {
      type: 'object',
      description: 'An EBS volume: from a snapshot, or a new empty volume of the given size.',
      properties: {
        volumeSize: { type: 'integer', minimum: 1, maximum: 16384, description: 'Size in GiB, 1 to 16384; absent means the size of the snapshot.' },
        volumeType: { type: 'string', maxLength: 32, pattern: '^[a-z0-9]+$', description: 'Volume type, for example standard or gp2.' },
        deleteOnTermination: { type: 'boolean', description: 'Delete the volume when an instance launched from the image terminates.' },
        snapshotId: { type: 'string', pattern: SNAPSHOT_ID_PATTERN, description: 'Snapshot to create the volume from (snap-...).' },
      },
    },
    virtualName: { type: 'string', pattern: '^ephemeral[0-9]+$', maxLength: 16, description: 'Instance-store volume, ephemeral0 to ephemeralN.' },
    noDevice: { type: 'boolean', description: 'Suppress the device the instance has at this name.' },
  },
  'x-kubernetes-validations': [
    {
      rule: '(has(self.ebs) ? 1 : 0) + (has(self.virtualName) ? 1 : 0) + (has(self.noDevice) ? 1 : 0) == 1',
      message: 'a block device mapping sets exactly one of ebs, virtualName or noDevice',
    },
  ],
};

const SHAPES_THE_IMAGE = 'it shapes the image from the first step on; create a new ImageCapture to capture differently';

const spec: Schema = {
  type: 'object',
  description: 'Which instance to capture, into which image, and how.',
  required: ['instanceId', 'image'],
  properties: {
    cloudRef: cloudRef('ImageCapture'),
    instanceId: instanceId('ImageCapture'),
    image: {
      type: 'object',
      description: 'The image to register: name, description and tags.',
      required: ['name'],
      properties: {
        name: {
          ...imageName('Name of the image to register: 3 to 128 characters of the EC2 image-name alphabet (Eucalyptus 3.4 accepts only [A-Za-z0-9(),/_-]). Immutable: create a new ImageCapture to register another image.'),
          'x-kubernetes-validations': [immutable('image.name is immutable: create a new ImageCapture to register another image')],
        },
        description: imageDescription('ImageCapture'),
        tags,
      },
      'x-kubernetes-validations': [
        immutableOptional('description', 'image.description is immutable: it is set once, when the image is registered; create a new ImageCapture for another'),
      ],
    },
    noReboot: {
      type: 'boolean',
      default: false,
      description: `Do not reboot the instance before snapshotting (the image is then crash-consistent). Immutable: ${SHAPES_THE_IMAGE}.`,
      'x-kubernetes-validations': [immutable(`noReboot is immutable: ${SHAPES_THE_IMAGE}`)],
    },
    blockDeviceMappings: {
      type: 'array',
      description: `Mappings merged over the attached volumes by device name; the user mapping wins. Immutable: ${SHAPES_THE_IMAGE}.`,
      maxItems: 32,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['deviceName'],
      items: blockDeviceMapping,
    },
    includeAttachedVolumes: {
      type: 'boolean',
      default: true,
      description: `Capture every volume attached at snapshot time; false keeps only the root volume and blockDeviceMappings. Immutable: ${SHAPES_THE_IMAGE}.`,
      'x-kubernetes-validations': [immutable(`includeAttachedVolumes is immutable: ${SHAPES_THE_IMAGE}`)],
    },
    strategy: {
      type: 'string',
      description: 'Auto picks CreateImage, or Orchestrated where the cloud lacks CreateImage (Eucalyptus 3.3); CreateImage and '
        + 'Orchestrated force one. The source must be EBS-backed: for an instance-store instance use an InstanceBundle with register. '
        + 'Immutable: create a new ImageCapture to capture another way.',
      enum: ['Auto', 'CreateImage', 'Orchestrated'],
      default: 'Auto',
      'x-kubernetes-validations': [immutable('strategy is immutable: create a new ImageCapture to capture another way')],
    },
    deletionPolicy,
    launchPermissions,
    revokeLaunchPermissionsOnDeletion,
    bootVerification: {
      type: 'object',
      description: 'Opt-in proof that the image boots: once it is available, one instance is run from it, must reach running (and, with consoleOutputPattern, print a matching line) within timeout, and is terminated. The result is the BootVerified condition and the tag imaging.eucalyptus.dev/boot-verified (true or false) on the image; a failure fails the capture (Stalled BootVerificationFailed) and keeps the image. Changes after the check has run have no effect.',
      properties: {
        instanceType: { type: 'string', default: 'm1.small', maxLength: 32, pattern: '^[a-z][a-z0-9-]*\\.[a-z0-9]+$', description: 'Instance type of the test instance, for example m1.small or t3.micro.' },
        availabilityZone: { type: 'string', maxLength: 64, description: 'Availability zone of the test instance; absent lets the cloud choose.' },
        consoleOutputPattern: { type: 'string', maxLength: 256, description: 'Regular expression (JavaScript syntax) the console output must match, for example "login:"; absent means reaching running is enough.' },
        timeout: duration('How long the test instance may take to reach running (and print the pattern), Go-style duration.', '10m'),
      },
    },
    timeout: duration('Go-style duration (90m, 2h, 1h30m) after which an unfinished capture is Stalled with reason Timeout. May be changed while the capture runs; immutable once it is Available (it can no longer act).', '2h'),
  },
  'x-kubernetes-validations': [
    cloudRefImmutable('ImageCapture'),
    immutableOptional('blockDeviceMappings', `blockDeviceMappings is immutable: ${SHAPES_THE_IMAGE}`),
  ],
};

export const CAPTURE_PHASES = ['Pending', 'Quiescing', 'Snapshotting', 'Registering', 'Verifying', 'Available', 'Failed', 'Deleting'] as const;

const status: Schema = {
  type: 'object',
  description: 'What the operator observed and did; written only by the operator. Before its first look: observedGeneration 0, phase Pending.',
  default: initialStatus('Pending'),
  properties: {
    phase: {
      type: 'string',
      enum: [...CAPTURE_PHASES],
      description: 'Coarse step: Pending (validating), Quiescing (rebooting or stopping), Snapshotting, Registering, Verifying (boot verification of the registered image), Available (image registered), Failed (see the Stalled condition), Deleting (cleanup after deletion).',
    },
    indications: {
      type: 'array',
      maxItems: 3,
      'x-kubernetes-list-type': 'set',
      items: { type: 'string', enum: ['Rebooted', 'NoReboot', 'WasStopped'], description: 'Rebooted, NoReboot (crash-consistent) or WasStopped.' },
      description: 'How consistent the image is.',
    },
    imageId: cloudId('Id of the registered image.'),
    strategy: { type: 'string', enum: ['CreateImage', 'Orchestrated'], description: 'The strategy actually used.' },
    appliedTags: {
      type: 'object',
      description: 'The spec.image.tags this capture last wrote on the image and its snapshots; a key removed from the spec is removed from them only if it is listed here.',
      maxProperties: 40,
      additionalProperties: { type: 'string', maxLength: 256, description: 'Tag value.' },
    },
    snapshots: {
      type: 'array',
      description: 'One entry per captured device: its volume, snapshot and the snapshot\'s progress.',
      maxItems: 64,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['deviceName'],
      items: {
        type: 'object',
        description: 'The snapshot of one device.',
        required: ['deviceName'],
        properties: {
          deviceName: { type: 'string', maxLength: 64, description: 'Device name in the image, for example /dev/sda1.' },
          volumeId: cloudId('Volume the snapshot is taken of.'),
          snapshotId: cloudId('Snapshot id.'),
          state: { type: 'string', maxLength: 32, description: 'Snapshot state as the cloud reports it: pending, completed or error.' },
          progress,
        },
      },
    },
    progress,
    sourceInstance: {
      type: 'object',
      description: 'The source instance as validation described it (one DescribeInstances per capture): the later steps and the check of the finished image read it here instead of asking the cloud again.',
      properties: {
        state: { type: 'string', maxLength: 32, description: 'Instance state at validation: running or stopped.' },
        architecture: { type: 'string', maxLength: 32, description: 'Architecture, for example x86_64.' },
        rootDeviceName: { type: 'string', maxLength: 64, description: 'Root device name, for example /dev/sda1.' },
        volumes: {
          type: 'array',
          maxItems: 64,
          description: 'The attached EBS volumes.',
          items: {
            type: 'object',
            required: ['deviceName', 'volumeId'],
            description: 'One attached EBS volume.',
            properties: {
              deviceName: { type: 'string', maxLength: 64, description: 'Device name, for example /dev/sdb.' },
              volumeId: cloudId('Volume id.'),
              deleteOnTermination: { type: 'boolean', description: 'Whether the volume goes with the instance.' },
            },
          },
        },
      },
    },
    startedAt: timestamp('When the first cloud call was made.'),
    createCalls: createCalls(['CreateImage', 'RegisterImage']),
    completedAt: timestamp('When the image became available or the capture failed.'),
    bootCheck: {
      type: 'object',
      description: 'The boot verification: its test instance and how it ended.',
      properties: {
        instanceId: cloudId('The test instance run from the image (terminated once the check ends).'),
        startedAt: timestamp('When the test instance was requested.'),
        result: { type: 'string', enum: ['Passed', 'Failed'], description: 'Passed or Failed; absent while the check runs.' },
        terminated: { type: 'boolean', description: 'The test instance was terminated.' },
      },
    },
    cloud: cloudIdentity,
    launchPermissions: appliedLaunchPermissions,
    observedGeneration,
    conditions,
    retainedObjects: {
      type: 'array',
      maxItems: 256,
      items: { type: 'string', maxLength: 1024, description: 'Id or bucket/key of one cloud object.' },
      description: 'Cloud objects left behind on purpose (Retain) or that could not be removed.',
    },
  },
};

export const imageCapture: KindDefinition = {
  ...KINDS.ImageCapture,
  description: 'ImageCapture turns a running or stopped instance into a registered image (EMI/AMI). Read progress in status.phase and the Ready, Reconciling and Stalled conditions.',
  spec,
  status,
  validations: [ownedNameLength, frozenOnceAvailable('timeout', 'timeout cannot change once the capture is Available: it no longer acts')],
  printerColumns: [
    { name: 'Instance', type: 'string', jsonPath: '.spec.instanceId', description: 'Source instance.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Current step of the capture.' },
    { name: 'Progress', type: 'integer', jsonPath: '.status.progress', description: 'Progress of the current work, percent.' },
    { name: 'Image', type: 'string', jsonPath: '.status.imageId', description: 'Registered image id.' },
    ...readyColumns,
    { name: 'Strategy', type: 'string', jsonPath: '.status.strategy', priority: 1, description: 'Strategy actually used.' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
