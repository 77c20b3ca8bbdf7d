// OpenAPI schema of CloudProfile: how to reach one Eucalyptus or EC2 cloud (DESIGN.md §2).
import { KINDS } from '../constants.ts';
import type { KindDefinition, Schema } from './openapi.ts';
import { OBJECT_NAME_PATTERN, duration, endpointUrl, conditions, initialStatus, objectReference, observedGeneration, readyColumns, timestamp } from './common.ts';

const capabilityFlags: Record<string, Schema> = {
  createImage: { type: 'boolean', description: 'CreateImage works (absent in Eucalyptus 3.3).' },
  tagOnCreate: { type: 'boolean', description: 'TagSpecifications are accepted on create calls.' },
  bundleLinux: { type: 'boolean', description: 'BundleInstance works for Linux instances.' },
  bundleEbs: { type: 'boolean', description: 'BundleInstance works for EBS-backed instances.' },
};

const spec: Schema = {
  type: 'object',
  description: 'Endpoints, credentials and limits of one cloud. Every field may be changed; the operator checks the cloud again.',
  required: ['ec2Endpoint', 'credentialsSecretRef'],
  properties: {
    ec2Endpoint: endpointUrl('EC2 query API URL (http or https, with a host), for example https://ec2.cloud.example:8773/services/compute. The operator\'s administrator decides which hosts may be used (--allowed-endpoints); loopback, link-local and metadata addresses are refused unless allowed there.'),
    s3Endpoint: endpointUrl('S3 (Walrus/OSG) URL (http or https, with a host), needed for InstanceBundle; the same endpoint policy applies.'),
    region: { type: 'string', default: 'eucalyptus', minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$', description: 'Region used in request signatures.' },
    credentialsSecretRef: objectReference('Secret in the same namespace with keys accessKeyId and secretAccessKey.'),
    caBundleSecretRef: {
      type: 'object',
      description: 'Secret in the same namespace holding the PEM CA bundle that signs the endpoints\' certificates.',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 253, pattern: OBJECT_NAME_PATTERN, description: 'Name of the Secret in the same namespace.' },
        key: { type: 'string', maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$', description: 'Key in the Secret (default ca.crt).' },
      },
    },
    rateLimit: {
      type: 'object',
      description: 'Token bucket shared by every call to this cloud.',
      default: {},
      properties: {
        qps: { type: 'number', minimum: 1, maximum: 1000, default: 10, description: 'Calls per second the bucket refills with, 1 to 1000.' },
        burst: { type: 'integer', minimum: 1, maximum: 1000, default: 20, description: 'Calls that may go out at once after a quiet spell, 1 to 1000.' },
      },
    },
    capabilities: { type: 'object', description: 'Override of detected capabilities.', properties: capabilityFlags },
    apiVersion: {
      type: 'string',
      pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
      description: "EC2 API Version to send, for example 2013-08-15 for Eucalyptus 3.4; default the SDK's own.",
    },
    callTimeout: duration('Deadline of one call to this cloud (Go-style duration, e.g. 20s): a call without an answer by then is cut off '
      + 'and retried later. Absent means the operator\'s --cloud-call-timeout (default 30s); the operator clamps it to 1s..--max-cloud-call-timeout (default 5m).'),
    s3Signature: {
      type: 'string',
      enum: ['v2', 'v4'],
      description: 'Signature for S3 requests: v2 (HMAC-SHA1; Walrus 3.x and Eucalyptus 4.0 object storage accept only this) '
        + 'or v4 (Eucalyptus 4.4+, AWS). When absent it is detected with a read-only ListBuckets, SigV4 first.',
    },
  },
};

const status: Schema = {
  type: 'object',
  description: 'What the operator found when it last checked the cloud; written only by the operator. Before its first look: observedGeneration 0.',
  default: initialStatus(),
  properties: {
    capabilities: {
      type: 'object',
      description: 'Detected capabilities (overridden by spec.capabilities).',
      properties: {
        ...capabilityFlags,
        dialect: { type: 'string', enum: ['eucalyptus', 'aws'], description: 'eucalyptus or aws: which cloud answers, told from its responses.' },
        s3Signature: { type: 'string', enum: ['v2', 'v4'], description: 'S3 signature in use (spec.s3Signature or detected).' },
      },
    },
    unknownCapabilities: {
      type: 'array',
      description: 'Capabilities whose probe gave no usable answer; the dialect default is used and the CapabilitiesDetected condition says why.',
      items: { type: 'string', maxLength: 64, description: 'A capability name, e.g. s3Signature, or dialect.' },
      maxItems: 16,
    },
    accountId: { type: 'string', maxLength: 64, description: 'Account the credentials belong to.' },
    lastCheckedAt: timestamp('When credentials and capabilities were last checked.'),
    observedGeneration,
    conditions,
  },
};

export const cloudProfile: KindDefinition = {
  ...KINDS.CloudProfile,
  description: 'CloudProfile says how to reach one Eucalyptus or EC2-compatible cloud and with which credentials. Ready once the cloud accepted the credentials; status.capabilities shows what it can do.',
  spec,
  status,
  printerColumns: [
    { name: 'Endpoint', type: 'string', jsonPath: '.spec.ec2Endpoint', description: 'EC2 query API URL.' },
    { name: 'Region', type: 'string', jsonPath: '.spec.region', description: 'Signing region.' },
    { name: 'Dialect', type: 'string', jsonPath: '.status.capabilities.dialect', description: 'eucalyptus or aws, as detected.' },
    ...readyColumns,
    { name: 'Account', type: 'string', jsonPath: '.status.accountId', priority: 1, description: 'Account of the credentials.' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
