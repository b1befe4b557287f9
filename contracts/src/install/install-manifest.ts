/**
 * Everything a cluster needs for airlock besides the operator's Deployment and Service, in apply
 * order: the CRDs, the operator's namespace, service account and least-privilege RBAC, the
 * reviewer and policy-author roles, the admission policy that enforces who may review, and the
 * webhook configurations pointing at the operator's Service. One source: the test kit installs
 * these objects, `make manifests` prints them, and the Helm chart renders the same functions.
 */
import { customResourceDefinition, SOURCES } from '@airlock/crds';
import { installObjects } from './install-objects.ts';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from './webhook-configurations.ts';

export interface InstallManifestOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The operator's Service; the webhooks call it on `port` (443 by default). */
  readonly service: { readonly name: string; readonly port?: number };
}

export function installManifest(options: InstallManifestOptions): object[] {
  const endpoint = {
    service: { namespace: options.namespace, name: options.service.name, ...(options.service.port ? { port: options.service.port } : {}) },
  };
  return [
    ...SOURCES.map((source) => customResourceDefinition(source)),
    ...installObjects({ namespace: options.namespace, serviceAccount: options.serviceAccount }),
    mutatingWebhookConfiguration({ endpoint, operatorNamespace: options.namespace }),
    validatingWebhookConfiguration({ endpoint, operatorNamespace: options.namespace }),
  ];
}
