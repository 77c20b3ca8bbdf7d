// Schema pieces shared by the three kinds.
import type { PrinterColumn, Schema, ValidationRule } from './openapi.ts';

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
/** Longest resource name whose owner tag `<namespace ≤63>/<name>/<uid 36>` fits a 255-character tag value. */
export const MAX_OWNED_NAME = 255 - 63 - 36 - 2;
/** Strictest tag limits of the supported clouds: Eucalyptus keys up to 127 characters, values up to 255. */
export const TAG_KEY_MAX = 127;
export const TAG_VALUE_MAX = 255;
/** Longest duration any spec field takes: a year, well inside what CEL, Go and JavaScript dates hold. */
export const MAX_DURATION = '8760h';
/** Kubernetes object name (DNS-1123 subdomain). */
export const OBJECT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';

/** A Go-style duration above zero and at most MAX_DURATION (a longer one would overflow CEL and Go durations). */
export function duration(description: string, defaultValue?: string): Schema {
  const s: Schema = {
    type: 'string',
    description,
    pattern: DURATION_PATTERN,
    maxLength: 32,
    'x-kubernetes-validations': [{
      rule: `duration(self) > duration('0s') && duration(self) <= duration('${MAX_DURATION}')`,
      message: `must be a duration above 0s and at most ${MAX_DURATION} (one year)`,
    }],
  };
  if (defaultValue !== undefined) s.default = defaultValue;
  return s;
}

/**
 * An http or https URL with a host: the pattern alone would admit `http://` or `https:///path`, which the
 * SDK would send to whatever its resolver makes of an empty host.
 */
export function endpointUrl(description: string): Schema {
  return {
    type: 'string',
    description,
    pattern: ENDPOINT_PATTERN,
    maxLength: 2048,
    'x-kubernetes-validations': [{
      rule: "isURL(self) && url(self).getHostname() != '' && (url(self).getScheme() == 'http' || url(self).getScheme() == 'https')",
      message: 'must be an http or https URL with a host, for example https://ec2.cloud.example:8773/services/compute',
    }],
  };
}

/** Root rule: the resource name leaves room for namespace and uid in the owner tag every cloud object carries. */
export const ownedNameLength: ValidationRule = {
  rule: `self.metadata.name.size() <= ${MAX_OWNED_NAME}`,
  message: `metadata.name may have at most ${MAX_OWNED_NAME} characters: the owner tag <namespace>/<name>/<uid> on every cloud object must fit the cloud's ${TAG_VALUE_MAX}-character tag values`,
};

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
  description: 'What happens to the cloud objects when the resource is deleted: Retain leaves them, Delete removes them first. May be changed at any time; the value at deletion counts.',
  enum: ['Retain', 'Delete'],
  default: 'Retain',
};

export function instanceId(kind: string): Schema {
  return {
    type: 'string',
    description: `Id of the source instance (Eucalyptus 3.x ids are upper-case hex, EC2 ids lower-case). Immutable: create a new ${kind} to use another instance.`,
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

export function imageDescription(kind: string): Schema {
  return { type: 'string', description: `Description of the registered image, up to 255 characters. Immutable: it is set once, when the image is registered; create a new ${kind} for another.`, maxLength: 255 };
}

/** The schema with one more CEL rule next to the ones it has. */
export function withRule(schema: Schema, rule: ValidationRule): Schema {
  return { ...schema, 'x-kubernetes-validations': [...(schema['x-kubernetes-validations'] ?? []), rule] };
}

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
  return objectReference(`CloudProfile in the same namespace to use; absent means the operator's default cloud. Immutable: create a new ${kind} to use another cloud.`);
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
    description: 'One condition: its status, a stable reason (CamelCase) and a message saying what is happening or what to do.',
    properties: {
      type: { type: 'string', description: 'Condition type, for example Ready, Reconciling, Stalled or a step such as SnapshotsCompleted.', maxLength: 316, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$' },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'], description: 'True, False or Unknown.' },
      reason: { type: 'string', description: 'Stable CamelCase code for the condition\'s state; alerts and scripts match on it.', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' },
      message: { type: 'string', maxLength: 32768, description: 'Human-readable detail: the current step, or what to do about an error.' },
      lastTransitionTime: { type: 'string', format: 'date-time', description: 'When the status of this condition last changed.' },
      observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'metadata.generation of the spec this condition was computed for.' },
    },
  },
};

export const observedGeneration: Schema = {
  type: 'integer',
  format: 'int64',
  minimum: 0,
  description: 'metadata.generation of the spec the status describes; 0 until the operator has looked at the resource, so kstatus, Argo CD and kubectl wait read a new resource as in progress.',
};

/**
 * Default of a kind's whole status: what the API server shows before the operator has written any, so a new
 * object reads as not yet observed (kstatus InProgress) and `kubectl get` prints a phase from the first row.
 */
export function initialStatus(phase?: string): Record<string, unknown> {
  return phase ? { observedGeneration: 0, phase } : { observedGeneration: 0 };
}

/** Rule on the root of a kind: once the resource is Available, `field` of its spec can no longer change. */
export function frozenOnceAvailable(field: string, message: string): ValidationRule {
  const now = `self.spec.${field}`;
  const before = `oldSelf.spec.${field}`;
  return {
    rule: `!has(oldSelf.status) || !has(oldSelf.status.phase) || oldSelf.status.phase != 'Available' || `
      + `(has(${now}) == has(${before}) && (!has(${now}) || ${now} == ${before}))`,
    message,
    fieldPath: `.spec.${field}`,
  };
}
export const progress: Schema = { type: 'integer', minimum: 0, maximum: 100, description: 'Progress of the current work, 0 to 100.' };
export const timestamp = (description: string): Schema => ({ type: 'string', format: 'date-time', description });
export const cloudId = (description: string): Schema => ({ type: 'string', maxLength: 64, description });

/**
 * The creating calls a resource made or was about to make, each signed by the operator: written before the call,
 * with the call's result id once it returned. Proof of ownership for the crash window between a create and its
 * tags; an entry the operator did not sign proves nothing.
 */
export function createCalls(calls: readonly string[]): Schema {
  return {
    type: 'array',
    description: 'Creating calls recorded before they were sent (create-pending checkpoints), signed by the operator; written only by the operator.',
    maxItems: 8,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['call'],
    items: {
      type: 'object',
      description: 'One creating call.',
      required: ['call', 'at', 'signature'],
      properties: {
        call: { type: 'string', enum: [...calls], description: 'The cloud action.' },
        at: timestamp('When the operator recorded that it was about to send the call.'),
        id: cloudId('Id the call returned, once it returned.'),
        signature: { type: 'string', maxLength: 128, description: 'HMAC-SHA256 of the operator over resource uid, call, parameters, time and id.' },
      },
    },
  };
}

/** User tags: applied to the image and to every snapshot. The operator's own tag keys are reserved. */
export const tags: Schema = {
  type: 'object',
  description: `Tags applied to the image and to every snapshot the operator makes for it: up to 40, keys of 1 to ${TAG_KEY_MAX} characters (Eucalyptus's limit; EC2 allows 128), values up to ${TAG_VALUE_MAX}; keys starting with aws: or imaging.eucalyptus.dev/ are reserved. Mutable.`,
  maxProperties: 40,
  additionalProperties: { type: 'string', maxLength: TAG_VALUE_MAX, description: 'Tag value.' },
  'x-kubernetes-validations': [
    { rule: `self.all(k, k.size() >= 1 && k.size() <= ${TAG_KEY_MAX})`, message: `tag keys must be 1 to ${TAG_KEY_MAX} characters long (Eucalyptus refuses longer keys)` },
    { rule: "self.all(k, !k.startsWith('aws:') && !k.startsWith('imaging.eucalyptus.dev/'))", message: "tag keys starting with 'aws:' or 'imaging.eucalyptus.dev/' are reserved" },
  ],
};

/** READY and REASON printer columns, read from the Ready condition (what `kubectl wait --for=condition=Ready` waits on). */
export const readyColumns: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Status of the Ready condition.' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Reason of the Ready condition: the current step, Succeeded, or why it is stuck.' },
];

/** Accounts (12 digits) that may launch the image, and `all` for public; kept in sync with the spec while Available. */
export const launchPermissions: Schema = {
  type: 'array',
  description: 'Who besides the owner may launch the image: 12-digit account ids and/or all (public). Applied with ModifyImageAttribute once the image is available and kept in sync on edits; an entry removed from the list is revoked. Mutable.',
  maxItems: 100,
  'x-kubernetes-list-type': 'set',
  items: { type: 'string', pattern: '^([0-9]{12}|all)$', description: 'A 12-digit account id, or all.' },
};

export const revokeLaunchPermissionsOnDeletion: Schema = {
  type: 'boolean',
  default: false,
  description: 'With deletionPolicy Retain: revoke the launch permissions this resource granted when it is deleted (the image stays, private). false (the default) leaves them. With Delete the image goes, and its permissions with it.',
};

export const appliedLaunchPermissions: Schema = {
  type: 'array',
  maxItems: 100,
  'x-kubernetes-list-type': 'set',
  items: { type: 'string', maxLength: 12, description: 'A 12-digit account id, or all.' },
  description: 'The launch permissions this resource granted on the image; only these are ever revoked.',
};

/** Where a resource's cloud objects were made (written before the first creating call). */
export const cloudIdentity: Schema = {
  type: 'object',
  description: 'The cloud this resource\'s objects were created in, recorded before the first creating call: they are never looked up, changed or deleted through a CloudProfile that points elsewhere.',
  properties: {
    endpoint: { type: 'string', maxLength: 2048, description: 'EC2 endpoint URL.' },
    region: { type: 'string', maxLength: 128, description: 'Region.' },
    accountId: { type: 'string', maxLength: 64, description: 'Account, as the cloud named the owner of the source instance.' },
    credentials: { type: 'string', maxLength: 64, description: 'sha256: and 16 hex digits of the SHA-256 of the access key id (never the key).' },
  },
};
