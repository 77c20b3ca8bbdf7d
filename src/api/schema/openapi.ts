// The subset of the Kubernetes OpenAPI v3 schema (apiextensions.k8s.io/v1 JSONSchemaProps) our CRDs use.
// Typed so a misspelt keyword is a compile error rather than a field the API server silently drops.

export interface ValidationRule {
  rule: string;
  message: string;
  /** JSONPath-like path of the field the error is reported on, relative to the schema holding the rule. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface Schema {
  type: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema;
  maxProperties?: number;
  minProperties?: number;
  items?: Schema;
  maxItems?: number;
  minItems?: number;
  enum?: (string | number)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** Everything gen-crds needs to render one CustomResourceDefinition. */
export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  spec: Schema;
  status: Schema;
  printerColumns: PrinterColumn[];
  /** Short text shown by `kubectl explain`. */
  description: string;
  /** Rules on the whole object (they see spec and status together, e.g. a spec field frozen by the phase). */
  validations?: ValidationRule[];
}
