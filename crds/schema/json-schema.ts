/**
 * The subset of OpenAPI v3 that Kubernetes accepts in a structural CRD schema, plus the
 * Kubernetes extensions we use. The schema files in this folder are written in it; the generator
 * turns them into CRD YAML and TypeScript types, and the validators compile them with ajv.
 */
export interface ValidationRule {
  /** A CEL expression over `self` (and `oldSelf` for transition rules). */
  rule: string;
  /** What the user sees when the rule fails: say what is wrong and how to fix it. */
  message: string;
  /** Field path the API server reports the error against, relative to `self`. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface Schema {
  /** Names the TypeScript type generated for this object; not shown to users. */
  title?: string;
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: 'date-time' | 'int32' | 'int64' | 'byte';
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  enum?: (string | number)[];
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

/** Everything the generator needs to write one CustomResourceDefinition. */
export interface CrdSource {
  kind: string;
  plural: string;
  singular: string;
  listKind: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: Schema;
  status: Schema;
  /** Rules on the whole object, for constraints that relate spec and status. */
  rootRules?: ValidationRule[];
  printerColumns: PrinterColumn[];
}
