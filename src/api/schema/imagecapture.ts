// OpenAPI schema of ImageCapture: turn a running instance into a registered image (DESIGN.md §2).
import { KINDS } from '../constants.ts';
import type { KindDefinition, Schema } from './openapi.ts';
import {
  BUCKET_PATTERN, DEVICE_NAME_PATTERN, SNAPSHOT_ID_PATTERN,
  cloudId, cloudRef, cloudRefImmutable, conditions, deletionPolicy, duration, imageDescription, imageName, immutable,
  immutableOptional, instanceId, observedGeneration, progress, tags, timestamp,
} from './common.ts';

const blockDeviceMapping: Schema = {
  type: 'object',
  required: ['deviceName'],
  properties: {
    deviceName: { type: 'string', description: 'Device name, for example /dev/sdb.', pattern: DEVICE_NAME_PATTERN, maxLength: 64 },
    ebs: {
      type: 'object',
      description: 'An EBS volume: from a snapshot, or a new empty volume of the given size.',
      properties: {
        volumeSize: { type: 'integer', minimum: 1, maximum: 16384, description: 'Size in GiB.' },
        volumeType: { type: 'string', maxLength: 32, pattern: '^[a-z0-9]+$', description: 'Volume type, for example standard or gp2.' },
        deleteOnTermination: { type: 'boolean' },
        snapshotId: { type: 'string', pattern: SNAPSHOT_ID_PATTERN },
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

const spec: Schema = {
  type: 'object',
  required: ['instanceId', 'image'],
  properties: {
    cloudRef: cloudRef('ImageCapture'),
    instanceId: instanceId('ImageCapture'),
    image: {
      type: 'object',
      required: ['name'],
      properties: {
        name: {
          ...imageName('Name of the image to register: 3 to 128 characters of the EC2 image-name alphabet.'),
          'x-kubernetes-validations': [immutable('image.name is immutable: create a new ImageCapture to register another image')],
        },
        description: imageDescription,
        tags,
      },
    },
    noReboot: { type: 'boolean', default: false, description: 'Do not reboot the instance before snapshotting (crash-consistent image).' },
    blockDeviceMappings: {
      type: 'array',
      description: 'Mappings merged over the attached volumes by device name; the user mapping wins.',
      maxItems: 32,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['deviceName'],
      items: blockDeviceMapping,
    },
    includeAttachedVolumes: { type: 'boolean', default: true, description: 'Capture every volume attached at snapshot time.' },
    strategy: {
      type: 'string',
      description: 'Auto picks by root device type and cloud capability; CreateImage, Orchestrated and ViaBundle force one.',
      enum: ['Auto', 'CreateImage', 'Orchestrated', 'ViaBundle'],
      default: 'Auto',
      'x-kubernetes-validations': [immutable('strategy is immutable: create a new ImageCapture to capture another way')],
    },
    deletionPolicy,
    timeout: duration('Go-style duration after which the capture is Stalled with reason Timeout.', '2h'),
    staging: {
      type: 'object',
      description: 'ViaBundle only: where the temporary bundle is stored, and whether to keep it afterwards.',
      properties: {
        bucket: { type: 'string', pattern: BUCKET_PATTERN },
        prefix: { type: 'string', pattern: BUCKET_PATTERN },
        keepObjects: { type: 'boolean' },
      },
    },
  },
  'x-kubernetes-validations': [
    cloudRefImmutable('ImageCapture'),
    immutableOptional('staging', 'staging is immutable: the bundle objects of a capture stay where they were put'),
    {
      // Auto may choose ViaBundle (instance-store sources), so it may carry staging too.
      rule: "!has(self.staging) || !has(self.strategy) || self.strategy == 'ViaBundle' || self.strategy == 'Auto'",
      message: 'staging applies only to strategy ViaBundle (or Auto, which may choose it)',
      fieldPath: '.staging',
    },
  ],
};

const status: Schema = {
  type: 'object',
  properties: {
    phase: { type: 'string', enum: ['Pending', 'Quiescing', 'Snapshotting', 'Bundling', 'Importing', 'Registering', 'Available', 'Failed', 'Deleting'] },
    indications: {
      type: 'array',
      maxItems: 3,
      'x-kubernetes-list-type': 'set',
      items: { type: 'string', enum: ['Rebooted', 'NoReboot', 'WasStopped'] },
      description: 'How consistent the image is.',
    },
    imageId: cloudId('Id of the registered image.'),
    strategy: { type: 'string', enum: ['CreateImage', 'Orchestrated', 'ViaBundle'], description: 'The strategy actually used.' },
    snapshots: {
      type: 'array',
      maxItems: 64,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['deviceName'],
      items: {
        type: 'object',
        required: ['deviceName'],
        properties: {
          deviceName: { type: 'string', maxLength: 64 },
          volumeId: cloudId('Volume the snapshot is taken of.'),
          snapshotId: cloudId('Snapshot id.'),
          state: { type: 'string', maxLength: 32 },
          progress,
        },
      },
    },
    progress,
    startedAt: timestamp('When the first cloud call was made.'),
    completedAt: timestamp('When the image became available or the capture failed.'),
    observedGeneration,
    conditions,
    bundleId: cloudId('ViaBundle: the bundle task.'),
    conversionTaskId: cloudId('ViaBundle: the ImportVolume conversion task.'),
    importedVolumeId: cloudId('ViaBundle: the temporary imported volume.'),
    retainedObjects: {
      type: 'array',
      maxItems: 256,
      items: { type: 'string', maxLength: 1024 },
      description: 'Cloud objects left behind on purpose (Retain) or that could not be removed.',
    },
  },
};

export const imageCapture: KindDefinition = {
  ...KINDS.ImageCapture,
  description: 'ImageCapture turns a running instance into a registered image.',
  spec,
  status,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Image', type: 'string', jsonPath: '.status.imageId' },
    { name: 'Progress', type: 'integer', jsonPath: '.status.progress' },
    { name: 'Instance', type: 'string', jsonPath: '.spec.instanceId', priority: 1 },
    { name: 'Strategy', type: 'string', jsonPath: '.status.strategy', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
