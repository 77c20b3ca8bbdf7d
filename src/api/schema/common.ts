// Schema pieces shared by the three kinds.
import type { Schema, ValidationRule } from './openapi.ts';

/** Go-style duration as the operator parses it (api/duration.ts): `90m`, `2h`, `1h30m`, `1.5h`. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
export const INSTANCE_ID_PATTERN = '^i-[0-9a-fA-F]{8,17}$';
/** EC2's image-name alphabet; clouds with a narrower one (Eucalyptus 3.4) answer InvalidAMIName.Malformed. */
export const IMAGE_NAME_PATTERN = "^[A-Za-z0-9()\\[\\] ./\\-'@_]{3,128}$";
/** Bucket and prefix as Eucalyptus checks them for BundleInstance. */
export const BUCKET_PATTERN = '^[a-zA-Z0-9._-]{3,255}$';
export const SNAPSHOT_ID_PATTERN = '^snap-[0-9a-fA-F]{8,17}$';
export const DEVICE_NAME_PATTERN = '^/dev/[a-z0-9]+$';
export const ENDPOINT_PATTERN = '^https?://';
/** Kubernetes object name (DNS-1123 subdomain). */
export const OBJECT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';

export function duration(description: string, defaultValue?: string): Schema {
  const s: Schema = { type: 'string', description, pattern: DURATION_PATTERN, maxLength: 64 };
  if (defaultValue !== undefined) s.default = defaultValue;
  return s;
}

export function objectReference(description: string): Schema {
  return {
    type: 'object',
    description,
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'Name of the object in the same namespace.', minLength: 1, maxLength: 253, pattern: OBJECT_NAME_PATTERN },
    },
  };
}

export const deletionPolicy: Schema = {
  type: 'string',
  description: 'Retain leaves the cloud objects when the resource is deleted; Delete removes them first.',
  enum: ['Retain', 'Delete'],
  default: 'Retain',
};

export function instanceId(kind: string): Schema {
  return {
    type: 'string',
    description: 'Id of the source instance (Eucalyptus 3.x ids are upper-case hex, EC2 ids lower-case).',
    pattern: INSTANCE_ID_PATTERN,
    'x-kubernetes-validations': [immutable(`instanceId is immutable: create a new ${kind} to capture another instance`)],
  };
}

export function imageName(description: string): Schema {
  return {
    type: 'string',
    description,
    minLength: 3,
    maxLength: 128,
    pattern: IMAGE_NAME_PATTERN,
  };
}

export const imageDescription: Schema = { type: 'string', description: 'Description of the registered image.', maxLength: 255 };

/** Transition rule: the field keeps its value once set (runs only when the old object had the field). */
export function immutable(message: string): ValidationRule {
  return { rule: 'self == oldSelf', message };
}

/**
 * Transition rule on a parent object for an optional child: the child may be neither added, removed nor
 * changed (a rule on the child itself would not see it being added or removed).
 */
export function immutableOptional(field: string, message: string): ValidationRule {
  return {
    rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
    message,
    fieldPath: `.${field}`,
  };
}

/** The cloud reference: which CloudProfile in the namespace, absent for the operator's default cloud. */
export function cloudRef(kind: string): Schema {
  return objectReference(`CloudProfile in the same namespace to use; absent means the operator's default cloud. Immutable once the ${kind} exists.`);
}

export function cloudRefImmutable(kind: string): ValidationRule {
  return immutableOptional('cloudRef', `cloudRef is immutable: create a new ${kind} to use another cloud`);
}

export const conditions: Schema = {
  type: 'array',
  description: 'kstatus conditions: Ready, Reconciling, Stalled and the step conditions.',
  maxItems: 16,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
    properties: {
      type: { type: 'string', maxLength: 316, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$' },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      reason: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' },
      message: { type: 'string', maxLength: 32768 },
      lastTransitionTime: { type: 'string', format: 'date-time' },
      observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    },
  },
};

export const observedGeneration: Schema = { type: 'integer', format: 'int64', description: 'Generation of the spec the status describes.' };
export const progress: Schema = { type: 'integer', minimum: 0, maximum: 100, description: 'Progress of the current work, 0 to 100.' };
export const timestamp = (description: string): Schema => ({ type: 'string', format: 'date-time', description });
export const cloudId = (description: string): Schema => ({ type: 'string', maxLength: 64, description });

/** User tags: applied to the image and to every snapshot. The operator's own tag keys are reserved. */
export const tags: Schema = {
  type: 'object',
  description: 'Tags applied to the image and to every snapshot the operator makes for it.',
  maxProperties: 40,
  additionalProperties: { type: 'string', maxLength: 256 },
  'x-kubernetes-validations': [
    { rule: 'self.all(k, k.size() >= 1 && k.size() <= 128)', message: 'tag keys must be 1 to 128 characters long' },
    { rule: "self.all(k, !k.startsWith('aws:') && !k.startsWith('imaging.eucalyptus.dev/'))", message: "tag keys starting with 'aws:' or 'imaging.eucalyptus.dev/' are reserved" },
  ],
};
