/**
 * The MutatingWebhookConfiguration and ValidatingWebhookConfiguration that route pod admission
 * to the operator. Both are failurePolicy Fail (invariant 6: a gated pod never runs unchecked),
 * which is safe only because the selectors keep them away from everything that is not an opted-in
 * agent pod — in particular kube-system and the operator's own pods.
 *
 * Two namespace modes, two mutating entries with disjoint namespaceSelectors (a namespace label has
 * one value), so no pod is ever sent to both:
 *   inject.pods.airlock.dev            injection=enabled  pods labeled inject=true       /mutate-pods
 *   inject-namespace.pods.airlock.dev  injection=all      pods not labeled inject=false  /mutate-namespace-pods
 * The second adds the label inject=true to the pod, so downstream there is one notion of an agent
 * pod — the label — and one validating entry (injection in [enabled, all], inject=true) guards both.
 *
 * A second validating entry guards connections: `kubectl exec` / `kubectl attach` into the sidecar
 * would hand out a shell holding its broker token (invariant 1). For CONNECT the API server's
 * object is the PodExecOptions / PodAttachOptions, which has no labels, so an objectSelector never
 * matches it: the entry has none, and the operator decides from the options alone.
 *   validate.pods.airlock.dev          injection in [enabled, all]  inject=true  /validate-pods
 *   validate-connect.pods.airlock.dev  injection in [enabled, all]  (none)       /validate-pods-connect
 */
import type {
  AdmissionregistrationV1WebhookClientConfig,
  V1MutatingWebhookConfiguration,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { INJECTION_ALL, LABEL_ENABLED, LABELS } from './names.ts';
import { WEBHOOK_PATHS } from './webhook-paths.ts';

export const WEBHOOK_CONFIGURATION_NAME = 'airlock';
export const MUTATING_WEBHOOK_NAME = 'inject.pods.airlock.dev';
/** The CI-mode entry: every pod of a namespace labeled airlock.dev/injection=all. */
export const MUTATING_NAMESPACE_WEBHOOK_NAME = 'inject-namespace.pods.airlock.dev';
export const VALIDATING_WEBHOOK_NAME = 'validate.pods.airlock.dev';
/** CONNECT on pods/exec and pods/attach: refuses a shell in the sidecar. */
export const VALIDATING_CONNECT_WEBHOOK_NAME = 'validate-connect.pods.airlock.dev';

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

/** Never kube-system nor the operator's namespace: the operator must start while its webhook is down. */
function namespaceSelector(operatorNamespace: string, modes: readonly string[]) {
  return {
    matchExpressions: [
      { key: LABELS.namespaceInjection, operator: 'In', values: [...modes] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...new Set(['kube-system', operatorNamespace])] },
    ],
  };
}

// Fresh objects every call: a YAML writer would turn a shared one into an anchor and an alias.
// On UPDATE an objectSelector matches when the old or the new object matches, so removing the label is still seen.
const labeledAgent = () => ({ matchLabels: { [LABELS.podInject]: LABEL_ENABLED.pod } });
// NotIn also matches pods without the label: every pod but the excluded ones, labeled inject=true ones included.
const notExcluded = () => ({ matchExpressions: [{ key: LABELS.podInject, operator: 'NotIn', values: [INJECTION_ALL.podExcluded] }] });

const podCreate = () => [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }];

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
        rules: podCreate(),
        namespaceSelector: namespaceSelector(options.operatorNamespace, [LABEL_ENABLED.namespace]),
        objectSelector: labeledAgent(),
        ...common(),
        // Called again if a later webhook changes the pod, so its containers get the env and lose the token too.
        reinvocationPolicy: 'IfNeeded',
      },
      {
        name: MUTATING_NAMESPACE_WEBHOOK_NAME,
        clientConfig: clientConfig(options.endpoint, WEBHOOK_PATHS.mutateNamespace, options.caBundle),
        rules: podCreate(),
        namespaceSelector: namespaceSelector(options.operatorNamespace, [INJECTION_ALL.namespace]),
        objectSelector: notExcluded(),
        ...common(),
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
        // Both modes: in a namespace labeled all, the mutating webhook labeled every agent pod.
        namespaceSelector: namespaceSelector(options.operatorNamespace, [LABEL_ENABLED.namespace, INJECTION_ALL.namespace]),
        objectSelector: labeledAgent(),
        ...common(),
      },
      {
        name: VALIDATING_CONNECT_WEBHOOK_NAME,
        clientConfig: clientConfig(options.endpoint, WEBHOOK_PATHS.validateConnect, options.caBundle),
        rules: [
          { operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec', 'pods/attach'], scope: 'Namespaced' },
        ],
        namespaceSelector: namespaceSelector(options.operatorNamespace, [LABEL_ENABLED.namespace, INJECTION_ALL.namespace]),
        // No objectSelector: the options of a CONNECT carry no labels, so one would never match. Every
        // exec and attach in an opted-in namespace comes here; only the sidecar's container is refused.
        ...common(),
      },
    ],
  };
}
