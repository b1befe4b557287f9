/**
 * The MutatingWebhookConfiguration and ValidatingWebhookConfiguration that route pod admission
 * to the operator. Both are failurePolicy Fail (invariant 6: a gated pod never runs unchecked),
 * which is safe only because the selectors keep them away from everything that is not an opted-in
 * agent pod — in particular kube-system and the operator's own pods.
 */
import type {
  AdmissionregistrationV1WebhookClientConfig,
  V1MutatingWebhookConfiguration,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { LABEL_ENABLED, LABELS } from './names.ts';
import { WEBHOOK_PATHS } from './webhook-paths.ts';

export const WEBHOOK_CONFIGURATION_NAME = 'airlock';
export const MUTATING_WEBHOOK_NAME = 'inject.pods.airlock.dev';
export const VALIDATING_WEBHOOK_NAME = 'validate.pods.airlock.dev';

/** In a cluster: the operator's Service. Outside (development, tests): the operator's base URL. */
export type WebhookEndpoint =
  | { readonly service: { readonly namespace: string; readonly name: string; readonly port?: number } }
  | { readonly url: string };

export interface WebhookConfigurationOptions {
  readonly endpoint: WebhookEndpoint;
  readonly operatorNamespace: string;
  /** PEM; left out when the CertificateManager patches it in later. */
  readonly caBundle?: string;
  readonly name?: string;
}

function clientConfig(endpoint: WebhookEndpoint, path: string, caBundle: string | undefined): AdmissionregistrationV1WebhookClientConfig {
  const ca = caBundle ? { caBundle: Buffer.from(caBundle).toString('base64') } : {};
  if ('url' in endpoint) return { url: `${endpoint.url.replace(/\/$/, '')}${path}`, ...ca };
  return {
    service: { namespace: endpoint.service.namespace, name: endpoint.service.name, port: endpoint.service.port ?? 443, path },
    ...ca,
  };
}

function selectors(operatorNamespace: string) {
  return {
    namespaceSelector: {
      matchLabels: { [LABELS.namespaceInjection]: LABEL_ENABLED.namespace },
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...new Set(['kube-system', operatorNamespace])] },
      ],
    },
    // Matches when the old or the new object has the label, so removing it is still seen.
    objectSelector: { matchLabels: { [LABELS.podInject]: LABEL_ENABLED.pod } },
  };
}

const common = () => ({
  failurePolicy: 'Fail',
  matchPolicy: 'Equivalent',
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  timeoutSeconds: 10,
});

export function mutatingWebhookConfiguration(options: WebhookConfigurationOptions): V1MutatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: options.name ?? WEBHOOK_CONFIGURATION_NAME, labels: { 'app.kubernetes.io/part-of': 'airlock' } },
    webhooks: [
      {
        name: MUTATING_WEBHOOK_NAME,
        clientConfig: clientConfig(options.endpoint, WEBHOOK_PATHS.mutate, options.caBundle),
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
        ...selectors(options.operatorNamespace),
        ...common(),
        // Called again if a later webhook changes the pod, so its containers get the env and lose the token too.
        reinvocationPolicy: 'IfNeeded',
      },
    ],
  };
}

export function validatingWebhookConfiguration(options: WebhookConfigurationOptions): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: options.name ?? WEBHOOK_CONFIGURATION_NAME, labels: { 'app.kubernetes.io/part-of': 'airlock' } },
    webhooks: [
      {
        name: VALIDATING_WEBHOOK_NAME,
        clientConfig: clientConfig(options.endpoint, WEBHOOK_PATHS.validate, options.caBundle),
        rules: [
          { operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
          { operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/ephemeralcontainers'], scope: 'Namespaced' },
        ],
        ...selectors(options.operatorNamespace),
        ...common(),
      },
    ],
  };
}
