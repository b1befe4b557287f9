/**
 * Building blocks shared by the four kinds. Bounds on every string and list are deliberate: the
 * API server estimates the cost of each CEL rule from them and refuses unbounded ones.
 */
import type { PrinterColumn, Schema, ValidationRule } from './json-schema.ts';

export const GROUP = 'airlock.dev';
export const VERSION = 'v1alpha1';

export function str(description: string, extra: Partial<Schema> = {}): Schema {
  return { type: 'string', description, maxLength: 253, ...extra };
}

export function int(description: string, extra: Partial<Schema> = {}): Schema {
  return { type: 'integer', format: 'int32', description, ...extra };
}

export function bool(description: string, extra: Partial<Schema> = {}): Schema {
  return { type: 'boolean', description, ...extra };
}

export function oneOf<T extends string>(description: string, values: readonly T[], extra: Partial<Schema> = {}): Schema {
  return { type: 'string', description, enum: [...values], ...extra };
}

export function list(description: string, items: Schema, maxItems: number, extra: Partial<Schema> = {}): Schema {
  return { type: 'array', description, items, maxItems, ...extra };
}

/** A list of unique strings (set semantics for server-side apply). */
export function stringSet(description: string, item: Schema, maxItems: number): Schema {
  return { type: 'array', description, items: item, maxItems, 'x-kubernetes-list-type': 'set' };
}

export function obj(
  title: string | undefined,
  description: string,
  properties: Record<string, Schema>,
  opts: { required?: string[]; rules?: ValidationRule[] } = {},
): Schema {
  const schema: Schema = { type: 'object', description, properties };
  if (title) schema.title = title;
  if (opts.required?.length) schema.required = opts.required;
  if (opts.rules?.length) schema['x-kubernetes-validations'] = opts.rules;
  return schema;
}

/** A DNS-1123 subdomain, the name of most Kubernetes objects. */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A DNS-1123 label: names of rules, and of objects used as a path segment. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A Go duration limited to units that make sense for approvals: 90s, 15m, 1h30m. */
export const DURATION = '^([0-9]+(ms|s|m|h))+$';

export function objectName(description: string): Schema {
  return str(description, { pattern: DNS_SUBDOMAIN, minLength: 1 });
}

export function ruleName(description: string): Schema {
  return str(description, { pattern: DNS_LABEL, minLength: 1, maxLength: 63 });
}

export function duration(description: string, extra: Partial<Schema> = {}): Schema {
  return str(description, { pattern: DURATION, maxLength: 32, ...extra });
}

/** Glob semantics are the same everywhere; the policy engine implements exactly this text. */
export const GLOB_HELP = 'Glob: * matches any characters except /, ** also matches /, ? matches one character.';

export function glob(description: string, maxLength = 253): Schema {
  return str(`${description} ${GLOB_HELP}`, {
    minLength: 1,
    maxLength,
  });
}

export function globs(description: string, maxItems = 64, maxLength = 253): Schema {
  return stringSet(description, glob('One pattern.', maxLength), maxItems);
}

export function secretKeyRef(description: string): Schema {
  return obj(
    'SecretKeyRef',
    description,
    {
      name: objectName('Name of the Secret, in the namespace of the object that refers to it.'),
      key: str('Key within the Secret.', { pattern: '^[-._a-zA-Z0-9]+$', minLength: 1 }),
    },
    { required: ['name', 'key'] },
  );
}

export function secretRef(description: string): Schema {
  return obj(
    'SecretRef',
    description,
    { name: objectName('Name of the Secret, in the namespace of the object that refers to it.') },
    { required: ['name'] },
  );
}

/** The shape of metav1.Condition, so kubectl and client libraries understand it. */
export function conditions(description: string): Schema {
  return {
    type: 'array',
    description,
    maxItems: 16,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    items: obj(
      'Condition',
      'One aspect of the current state, following the Kubernetes condition conventions.',
      {
        type: str('Condition type in CamelCase, for example Ready.', {
          maxLength: 316,
          pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
        }),
        status: oneOf('Whether the condition holds.', ['True', 'False', 'Unknown']),
        observedGeneration: {
          type: 'integer',
          format: 'int64',
          minimum: 0,
          description: 'metadata.generation of the object when the condition was set.',
        },
        lastTransitionTime: {
          type: 'string',
          format: 'date-time',
          description: 'When the status last changed from one value to another.',
        },
        reason: str('Machine-readable CamelCase reason for the last transition.', {
          maxLength: 1024,
          minLength: 1,
          pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
        }),
        message: str('Human-readable detail of the last transition.', { maxLength: 32768 }),
      },
      { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
    ),
  };
}

export function observedGeneration(): Schema {
  return {
    type: 'integer',
    format: 'int64',
    minimum: 0,
    description: 'The metadata.generation the controller last acted on.',
  };
}

export const APPROVAL_SCOPES = ['once', 'session', 'window'] as const;
export const PROTOCOLS = ['postgres', 'ssh', 'http', 'kubernetes'] as const;

export function approvers(description: string): Schema {
  return obj(
    'Approvers',
    description,
    {
      users: stringSet('Usernames, as the API server authenticates them, that may approve.', str('A username.', { minLength: 1 }), 64),
      groups: stringSet(
        'Groups, as the API server authenticates them, whose members may approve.',
        str('A group name.', { minLength: 1 }),
        32,
      ),
    },
    {
      rules: [
        {
          rule: '(has(self.users) && size(self.users) > 0) || (has(self.groups) && size(self.groups) > 0)',
          message: 'name at least one approver user or group',
        },
      ],
    },
  );
}

/** The Ready condition as a kubectl column. */
export function readyColumn(description: string): PrinterColumn {
  return { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description };
}

export const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' };
