// OpenAPI schema of CloudProfile: how to reach one Eucalyptus or EC2 cloud (DESIGN.md §2).
import { KINDS } from '../constants.ts';
import type { KindDefinition, Schema } from './openapi.ts';
import { ENDPOINT_PATTERN, OBJECT_NAME_PATTERN, conditions, objectReference, observedGeneration, timestamp } from './common.ts';

const capabilityFlags: Record<string, Schema> = {
  createImage: { type: 'boolean', description: 'CreateImage works (absent in Eucalyptus 3.3).' },
  tagOnCreate: { type: 'boolean', description: 'TagSpecifications are accepted on create calls.' },
  bundleLinux: { type: 'boolean', description: 'BundleInstance works for Linux instances.' },
  bundleEbs: { type: 'boolean', description: 'BundleInstance works for EBS-backed instances.' },
  importVolume: { type: 'boolean', description: 'ImportVolume and conversion tasks work (Eucalyptus 4.0+).' },
};

const spec: Schema = {
  type: 'object',
  required: ['ec2Endpoint', 'credentialsSecretRef'],
  properties: {
    ec2Endpoint: { type: 'string', pattern: ENDPOINT_PATTERN, maxLength: 2048, description: 'EC2 query API URL.' },
    s3Endpoint: { type: 'string', pattern: ENDPOINT_PATTERN, maxLength: 2048, description: 'S3 (Walrus/OSG) URL.' },
    region: { type: 'string', default: 'eucalyptus', minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$', description: 'Signing region.' },
    credentialsSecretRef: objectReference('Secret in the same namespace with keys accessKeyId and secretAccessKey.'),
    caBundleSecretRef: {
      type: 'object',
      description: 'Secret in the same namespace holding the PEM CA bundle that signs the endpoints\' certificates.',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 253, pattern: OBJECT_NAME_PATTERN },
        key: { type: 'string', maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$', description: 'Key in the Secret (default ca.crt).' },
      },
    },
    rateLimit: {
      type: 'object',
      description: 'Token bucket shared by every call to this cloud.',
      default: {},
      properties: {
        qps: { type: 'number', minimum: 0.1, maximum: 10000, default: 10 },
        burst: { type: 'integer', minimum: 1, maximum: 100000, default: 20 },
      },
    },
    capabilities: { type: 'object', description: 'Override of detected capabilities.', properties: capabilityFlags },
    apiVersion: {
      type: 'string',
      pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
      description: "EC2 API Version to send, for example 2013-08-15 for Eucalyptus 3.4; default the SDK's own.",
    },
  },
};

const status: Schema = {
  type: 'object',
  properties: {
    capabilities: {
      type: 'object',
      description: 'Detected capabilities (overridden by spec.capabilities).',
      properties: { ...capabilityFlags, dialect: { type: 'string', enum: ['eucalyptus', 'aws'] } },
    },
    accountId: { type: 'string', maxLength: 64 },
    lastCheckedAt: timestamp('When credentials and capabilities were last checked.'),
    observedGeneration,
    conditions,
  },
};

export const cloudProfile: KindDefinition = {
  ...KINDS.CloudProfile,
  description: 'CloudProfile says how to reach one Eucalyptus or EC2-compatible cloud and with which credentials.',
  spec,
  status,
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Endpoint', type: 'string', jsonPath: '.spec.ec2Endpoint' },
    { name: 'Dialect', type: 'string', jsonPath: '.status.capabilities.dialect', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
