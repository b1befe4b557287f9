/**
 * The API calls the plugin makes: read and list ApprovalRequests, ask who I am
 * (SelfSubjectReview) and what I may do (SelfSubjectAccessReview), and append a review through
 * the status subresource. Errors become ApproveErrors with stable codes (review-errors.ts).
 */
import type { ApprovalRequest } from '@airlock/crds';
import type { Reviewer } from '../approval-facts.ts';
import { ApproveError } from '../errors.ts';
import { digestMismatch, notFound, rbacForbidden, refusalKind, reviewRefused } from '../review/review-errors.ts';
import { appendReviewPatch, type ReviewInput } from '../review/review-patch.ts';
import { type ApiClient, ApiStatusError, type WatchEventBody } from './api-client.ts';

const GROUP = 'airlock.dev';
const VERSION = 'v1alpha1';
const PLURAL = 'approvalrequests';

export function collectionPath(namespace: string | undefined): string {
  return namespace
    ? `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}`
    : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
}

export function objectPath(namespace: string, name: string, subresource?: string): string {
  return `${collectionPath(namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

export interface RequestList {
  readonly items: ApprovalRequest[];
  readonly resourceVersion: string;
}

const STALE_RETRIES = 5;

export class ApprovalApi {
  readonly client: ApiClient;
  #me: Promise<Reviewer> | undefined;

  constructor(client: ApiClient) {
    this.client = client;
  }

  async get(namespace: string, name: string): Promise<ApprovalRequest> {
    try {
      return await this.client.get<ApprovalRequest>(objectPath(namespace, name));
    } catch (error) {
      throw await this.#explain(error, 'get', namespace, () => notFound(name, namespace));
    }
  }

  /** Every request in `namespace`, or in all namespaces when it is undefined. */
  async list(namespace: string | undefined): Promise<RequestList> {
    try {
      const list = await this.client.get<{ items: ApprovalRequest[]; metadata: { resourceVersion: string } }>(collectionPath(namespace));
      return { items: list.items.map(withKind), resourceVersion: list.metadata.resourceVersion };
    } catch (error) {
      throw await this.#explain(
        error,
        'list',
        namespace ?? '',
        () =>
          // A 404 on a collection: the CRD is not installed.
          new ApproveError(
            'NotFound',
            'the API server does not serve approvalrequests.airlock.dev: is airlock installed in this cluster? (kubectl get crd approvalrequests.airlock.dev)',
          ),
      );
    }
  }

  watch(
    namespace: string | undefined,
    resourceVersion: string,
    onEvent: (event: WatchEventBody<ApprovalRequest>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return this.client.watch<ApprovalRequest>(
      collectionPath(namespace),
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 600 },
      onEvent,
      signal,
    );
  }

  /** The user and groups the API server authenticated, as `kubectl auth whoami` shows them. Asked once. */
  whoami(): Promise<Reviewer> {
    this.#me ??= this.client
      .post<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      })
      .then((review) => {
        const info = review.status?.userInfo;
        if (!info?.username) throw new ApproveError('Internal', 'SelfSubjectReview did not say who you are');
        return { username: info.username, groups: info.groups ?? [] };
      })
      .catch((error: unknown) => {
        if (error instanceof ApproveError) throw error;
        throw new ApproveError(
          'Internal',
          `cannot ask the API server who you are (SelfSubjectReview, kubectl auth whoami; Kubernetes 1.28 or later): ${(error as Error).message}`,
          { cause: error },
        );
      });
    return this.#me;
  }

  /** SelfSubjectAccessReview: may I `verb` approvalrequests[/subresource] in `namespace`? */
  async canI(verb: string, namespace: string, subresource?: string): Promise<boolean> {
    const review = await this.client.post<{ status?: { allowed?: boolean } }>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          group: GROUP,
          resource: PLURAL,
          verb,
          ...(namespace ? { namespace } : {}),
          ...(subresource ? { subresource } : {}),
        },
      },
    });
    return review.status?.allowed === true;
  }

  /**
   * Appends a review through the status subresource and returns the updated request. Re-reads
   * and retries when someone else wrote the request between the read and the patch.
   */
  async appendReview(
    current: ApprovalRequest,
    input: ReviewInput,
    check: (request: ApprovalRequest) => ApproveError | undefined,
  ): Promise<ApprovalRequest> {
    const namespace = current.metadata.namespace ?? '';
    const name = current.metadata.name ?? '';
    let request = current;
    for (let attempt = 0; ; attempt++) {
      const problem = check(request);
      if (problem) throw problem;
      try {
        return withKind(
          await this.client.jsonPatch<ApprovalRequest>(objectPath(namespace, name, 'status'), appendReviewPatch(request, input)),
        );
      } catch (error) {
        if (!(error instanceof ApiStatusError)) throw error;
        if (error.status === 404) throw notFound(name, namespace);
        const kind = refusalKind(error.message);
        if (error.status === 403 && kind === 'rbac') {
          throw await this.#explain(error, 'patch', namespace, () => notFound(name, namespace), 'status');
        }
        // A failed `test` operation comes back as a bare 422 ("the server rejected our request due
        // to an error in our request"): read the request again to see whether someone wrote it
        // in between (then check and try again) or the digest differs.
        if (kind === 'stale' || kind === 'digest' || kind === 'other') {
          const fresh = await this.get(namespace, name);
          if (fresh.metadata.resourceVersion !== request.metadata.resourceVersion && attempt < STALE_RETRIES) {
            request = fresh;
            continue;
          }
          if (input.digest && fresh.spec.operation.digest !== input.digest) throw digestMismatch(fresh, input.digest);
        }
        throw reviewRefused(request, input.me, error.message, input.now);
      }
    }
  }

  /** An API error from reading, in the reviewer's terms; 403s name the missing permission, checked with SelfSubjectAccessReview. */
  async #explain(error: unknown, verb: string, namespace: string, onNotFound: () => ApproveError, subresource?: string): Promise<unknown> {
    if (!(error instanceof ApiStatusError)) return error;
    if (error.status === 404) return onNotFound();
    if (error.status === 403) {
      const me = await this.whoami().catch(() => undefined);
      const allowed = await this.canI(verb, namespace, subresource).catch(() => undefined);
      const resource = subresource ? `${PLURAL}/${subresource}` : PLURAL;
      if (allowed !== true) return rbacForbidden(me?.username ?? 'you', verb, resource, namespace, error.message);
    }
    return new ApproveError('Refused', `the API server refused to ${verb} approvalrequests: ${error.message}`, { cause: error });
  }
}

/** Items of a list come without apiVersion and kind; objects printed with -o json need them. */
function withKind(request: ApprovalRequest): ApprovalRequest {
  const { apiVersion: _, kind: __, ...rest } = request;
  return { apiVersion: 'airlock.dev/v1alpha1', kind: 'ApprovalRequest', ...rest };
}
