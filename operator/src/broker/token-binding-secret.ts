/**
 * The binding Secret that ties the tokens minted for an agent pod to the pod's life when the API
 * server will not bind them to the pod itself (the pod runs as another ServiceAccount than the
 * Target's; kubernetes-credentials.ts says why). One per pod, `airlock-token-binding-<pod uid>` in
 * the pod's namespace: no data, owned by the pod alone, so the garbage collector deletes it when
 * the pod is deleted, and the API server then refuses every token bound to it.
 *
 * The broker creates it on the pod's first credentials request and reuses it after. A Secret of
 * that name made any other way (another type, another owner or one more) is refused, never bound
 * to: whoever pre-created it could keep it, and the tokens with it, alive after the pod is gone.
 * The operator never updates or deletes a binding Secret.
 */
import { isAlreadyExists, isNotFound, KubeApiError, type KubeClient, type KubeObject } from '../kube/client.ts';
import { BrokerHttpError } from './http-io.ts';

/** The type of a binding Secret: it holds no data, it exists only for tokens to be bound to. */
export const TOKEN_BINDING_SECRET_TYPE = 'airlock.dev/token-binding';
/** Label on a binding Secret naming its pod, for `kubectl get secrets -l` (left off when the pod's name is too long for a label value). */
export const TOKEN_BINDING_POD_LABEL = 'airlock.dev/token-binding-pod';
const LABEL_VALUE_MAX = 63;

/** The pod a binding Secret belongs to: the agent pod, as the broker authenticated it. */
export interface BindingPod {
  readonly name: string;
  readonly uid: string;
}

/** A Secret as this file reads it. */
export interface BindingSecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** The name of the binding Secret of the pod with this uid: one per pod, whatever the Target. */
export const bindingSecretName = (podUid: string): string => `airlock-token-binding-${podUid}`;

/**
 * The binding Secret of `pod` in `namespace`, as the broker creates it. blockOwnerDeletion false:
 * nothing has to wait for it, and true would need update on pods/finalizers. Pure.
 */
export function bindingSecret(namespace: string, pod: BindingPod): BindingSecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: bindingSecretName(pod.uid),
      namespace,
      labels: {
        'app.kubernetes.io/part-of': 'airlock',
        ...(pod.name.length <= LABEL_VALUE_MAX ? { [TOKEN_BINDING_POD_LABEL]: pod.name } : {}),
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid, blockOwnerDeletion: false }],
    },
    type: TOKEN_BINDING_SECRET_TYPE,
  };
}

/**
 * Why an existing Secret with the binding Secret's name must not be bound to, or undefined when it
 * is the pod's binding Secret: of type airlock.dev/token-binding and owned by this pod (name and
 * uid) and nothing else. One more owner would keep it alive after the pod is gone: the garbage
 * collector deletes a dependent only when all of its owners are. Pure.
 */
export function bindingSecretProblem(secret: BindingSecretObject, pod: BindingPod): string | undefined {
  if (secret.type !== TOKEN_BINDING_SECRET_TYPE) return `it has type ${secret.type ?? 'Opaque'}, not ${TOKEN_BINDING_SECRET_TYPE}`;
  const owners = secret.metadata?.ownerReferences ?? [];
  const [owner] = owners;
  const ownedByPod =
    owners.length === 1 && owner?.apiVersion === 'v1' && owner.kind === 'Pod' && owner.name === pod.name && owner.uid === pod.uid;
  if (ownedByPod) return undefined;
  return owners.length === 0
    ? 'it has no ownerReference to the pod'
    : `its ownerReferences (${owners.map((o) => `${o.kind} ${o.name} uid ${o.uid}`).join(', ')}) are not exactly the pod (uid ${pod.uid})`;
}

/** The refusal for a pod that is gone: its sidecar is not to get credentials any more. */
export const podGone = (namespace: string, pod: string, cause: unknown): BrokerHttpError =>
  new BrokerHttpError('Unauthenticated', `pod ${namespace}/${pod} no longer exists; its sidecar gets nothing more`, { cause });

/** The refusal for a pod deleted and created again under the same name: the new one is not the one authenticated. */
export const podReplaced = (namespace: string, pod: string, cause?: unknown): BrokerHttpError =>
  new BrokerHttpError('Unauthenticated', `pod ${namespace}/${pod} was replaced; its sidecar gets nothing more`, cause ? { cause } : {});

interface BindingAt {
  readonly namespace: string;
  readonly name: string;
  readonly pod: BindingPod;
}

const secretsPath = (namespace: string): string => `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;

/**
 * The pod's binding Secret (name and uid, for a TokenRequest's boundObjectRef), created when it
 * does not exist yet. Requests of one sidecar may race to create it: the one that loses reads
 * what the other created, and takes it only if it is the pod's. Throws BrokerHttpError:
 * CredentialsUnavailable when a Secret of that name is not the pod's binding Secret or the
 * operator may not read or create Secrets, Unauthenticated when the pod is gone or replaced,
 * Unavailable when the API server fails or the Secret is being deleted.
 */
export async function ensureBindingSecret(
  client: KubeClient,
  namespace: string,
  pod: BindingPod,
): Promise<{ readonly name: string; readonly uid: string }> {
  const at: BindingAt = { namespace, name: bindingSecretName(pod.uid), pod };
  let secret = await readBindingSecret(client, at);
  if (!secret) {
    // A Secret owned by a pod that is gone would be collected at once: say so instead of minting a dead token.
    await checkPodIsThere(client, namespace, pod);
    try {
      secret = await client.create<BindingSecretObject>(secretsPath(namespace), bindingSecret(namespace, pod));
    } catch (error) {
      if (!isAlreadyExists(error)) throw bindingRefusal(error, 'create', at);
      secret = await readBindingSecret(client, at);
      if (!secret) throw new BrokerHttpError('Unavailable', `Secret ${namespace}/${at.name} was deleted as it was being created; retry`);
    }
  }
  const problem = bindingSecretProblem(secret, pod);
  if (problem !== undefined) {
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `Secret ${namespace}/${at.name} is not the token binding Secret of pod ${namespace}/${pod.name}: ${problem}. A token bound to it could outlive the pod, so none is minted: delete that Secret, and the next request creates it owned by the pod`,
    );
  }
  const uid = secret.metadata?.uid;
  if (secret.metadata?.deletionTimestamp || !uid) {
    throw new BrokerHttpError(
      'Unavailable',
      `the token binding Secret ${namespace}/${at.name} is being deleted (its pod is going, or someone deleted it); retry`,
    );
  }
  return { name: at.name, uid };
}

/** The Secret, or undefined when there is none. */
async function readBindingSecret(client: KubeClient, at: BindingAt): Promise<BindingSecretObject | undefined> {
  try {
    return await client.get<BindingSecretObject>(`${secretsPath(at.namespace)}/${encodeURIComponent(at.name)}`);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw bindingRefusal(error, 'get', at);
  }
}

async function checkPodIsThere(client: KubeClient, namespace: string, pod: BindingPod): Promise<void> {
  let found: KubeObject;
  try {
    found = await client.get<KubeObject>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod.name)}`);
  } catch (error) {
    if (isNotFound(error)) throw podGone(namespace, pod.name, error);
    throw new BrokerHttpError('Unavailable', `cannot read pod ${namespace}/${pod.name} now (${httpProblem(error)}); retry`, {
      cause: error,
    });
  }
  if (found.metadata?.uid !== pod.uid) throw podReplaced(namespace, pod.name);
}

function bindingRefusal(error: unknown, verb: 'get' | 'create', at: BindingAt): BrokerHttpError {
  if (error instanceof KubeApiError && error.status === 403) {
    return new BrokerHttpError(
      'CredentialsUnavailable',
      `the operator may not ${verb} Secret ${at.namespace}/${at.name}, which ties the tokens of pod ${at.pod.name} to the pod's life (${error.message}): it needs get and create on secrets, which the airlock chart's ClusterRole grants; reinstall or upgrade the chart`,
      { cause: error },
    );
  }
  if (error instanceof KubeApiError && (error.status === 400 || error.status === 422)) {
    return new BrokerHttpError(
      'CredentialsUnavailable',
      `the API server refused the token binding Secret ${at.namespace}/${at.name}: ${error.message}`,
      { cause: error },
    );
  }
  return new BrokerHttpError('Unavailable', `cannot ${verb} Secret ${at.namespace}/${at.name} now (${httpProblem(error)}); retry`, {
    cause: error,
  });
}

const httpProblem = (error: unknown): string =>
  error instanceof KubeApiError ? `HTTP ${error.status} ${error.reason}` : (error as Error).message;
