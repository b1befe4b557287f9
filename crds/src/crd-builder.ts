/** Turns a schema source into the CustomResourceDefinition the API server serves. Pure. */
import { GROUP, VERSION } from '../schema/common.ts';
import type { CrdSource, Schema } from '../schema/json-schema.ts';

/** The openAPIV3Schema of one kind: the object with its spec and status. */
export function objectSchema(source: CrdSource): Schema {
  const schema: Schema = {
    description: source.description,
    type: 'object',
    properties: {
      apiVersion: {
        type: 'string',
        description: 'APIVersion defines the versioned schema of this representation of an object.',
      },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      // The API server allows no more than the type here (it owns metadata's schema).
      metadata: { type: 'object' },
      spec: source.spec,
      status: source.status,
    },
    required: ['spec'],
  };
  if (source.rootRules?.length) schema['x-kubernetes-validations'] = source.rootRules;
  return schema;
}

export function customResourceDefinition(source: CrdSource): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${source.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'airlock' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: source.kind,
        listKind: source.listKind,
        plural: source.plural,
        singular: source.singular,
        shortNames: source.shortNames,
        categories: ['airlock'],
      },
      scope: source.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: source.printerColumns,
          schema: { openAPIV3Schema: objectSchema(source) },
        },
      ],
    },
  };
}
