/**
 * How the sidecar masks what the Kubernetes API server answers the agent: Secret values always
 * (the agent must never see them, whatever the policy says), and the policy's masking rules on
 * every value when the session has any. The Kubernetes protocol asks `responseMaskingFor` once
 * per request; undefined means the response cannot hold anything to mask and is relayed as it
 * comes, at no cost. Otherwise it sends the `accept` header upstream (JSON only) and passes the
 * response through `maskBody` or, for a watch, `watchTransform`; a KubernetesMaskingError means
 * the response could not be masked and must be refused, never relayed.
 *
 * What is masked where, and which fields are left for clients to decode: resource-masker.ts.
 * Secret values: secret-values.ts. Policy rules on values: policy-values.ts.
 *
 * Decisions:
 * - Non-resource requests (discovery, /version, /openapi, health) get no masking even with rules:
 *   they describe the server, not stored objects.
 * - With rules, every resource response gets a masking, including ones that are not JSON
 *   (pods/log, proxy): maskBody refuses those (NotJson), so with rules they fail closed. Masking
 *   such text as a stream is the protocol's choice (contracts `streamMaskingFor`).
 * - Rules that select nothing in JSON (only `tableColumns`, which name SQL columns) count as no rules.
 */
import type { Transform } from 'node:stream';
import type { CompiledRule } from '@airlock/contracts/masking';
import { isJsonContentType, jsonOnlyAccept } from './accept-header.ts';
import { parseJson } from './json-text.ts';
import { type MaskCounts, newCounts } from './mask-counts.ts';
import { maskingDepthGuard } from './masking-depth.ts';
import { KubernetesMaskingError } from './masking-error.ts';
import { PolicyValueMasker } from './policy-values.ts';
import { ResourceMasker } from './resource-masker.ts';
import { WatchMaskingTransform } from './watch-transform.ts';

export type { MaskCounts } from './mask-counts.ts';
export { KubernetesMaskingError, type KubernetesMaskingErrorCode } from './masking-error.ts';

/**
 * The most a whole body may hold. kubectl pages lists (limit=500 by default), and one object is at
 * most what etcd stores (1.5 MiB by default), so real bodies are far smaller; the limit bounds
 * what one response can make the sidecar parse and hold.
 */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** A watch event is one object (plus a Table row); this leaves ten times etcd's default object limit. */
export const DEFAULT_MAX_WATCH_EVENT_BYTES = 16 * 1024 * 1024;

export interface MaskedRequest {
  /** From the parsed request (@airlock/contracts/kubernetes ResourceRequestInfo) or undefined for non-resource requests. */
  readonly resource?: { readonly apiGroup: string; readonly resource: string; readonly subresource: string; readonly verb: string };
  /** The compiled masking rules of the session (policy rules and the target's masking profile); absent: none apply. */
  readonly rules?: readonly CompiledRule[];
}

export interface KubernetesResponseMasking {
  /** The Accept header to send upstream: protobuf (application/vnd.kubernetes.protobuf...) removed from the agent's list, since the masker reads JSON only; application/json when nothing is left. Table/JSON parameters (as=Table;g=meta.k8s.io;v=v1) are kept. */
  accept(agentAccept: string | undefined): string;
  /** A whole JSON body (get, list, create/update/patch answers, Table). Throws KubernetesMaskingError('NotJson') when the content type is not JSON or the body does not parse: the caller refuses the response rather than pass it unmasked. */
  maskBody(body: Buffer, contentType: string | undefined): MaskedBody;
  /** A watch stream: newline-delimited JSON events ({"type":"ADDED","object":{...}}), split anywhere by the network; each event masked; lines over maxLineBytes → the stream errors with KubernetesMaskingError('EventTooLarge'). */
  watchTransform(options?: { readonly maxLineBytes?: number }): Transform & { readonly counts: MaskCounts };
}

export interface MaskedBody {
  /** The input Buffer itself when nothing was masked. */
  readonly body: Buffer;
  readonly counts: MaskCounts;
}

/**
 * How the response to this request is masked, or undefined when it cannot contain anything to mask —
 * then the response is relayed untouched at no cost (the common case: pods, deployments, discovery without rules).
 * Secrets (core group, resource `secrets`, any verb and subresource: a patch or create answers with the whole Secret) always get one.
 * With rules, every resource response gets one (ConfigMap values, env values, annotations matched by detectors).
 */
export function responseMaskingFor(request: MaskedRequest): KubernetesResponseMasking | undefined {
  const resource = request.resource;
  if (resource === undefined) return undefined;
  const secretsRequest = isSecretsResource(resource);
  const policy = policyFor(request.rules);
  if (!secretsRequest && policy === undefined) return undefined;
  return new ResponseMasking(secretsRequest, policy);
}

/** Masks one decoded object in place-free fashion (returns a new object) — the evidence builder uses it for dry-run results. */
export function maskKubernetesObject(object: unknown, request: MaskedRequest): { readonly object: unknown; readonly counts: MaskCounts } {
  const counts = newCounts();
  const masker = new ResourceMasker({
    secretsRequest: request.resource !== undefined && isSecretsResource(request.resource),
    policy: policyFor(request.rules),
  });
  const masked = maskingDepthGuard(() => masker.maskResponse(object, counts));
  return { object: masked, counts };
}

class ResponseMasking implements KubernetesResponseMasking {
  readonly #secretsRequest: boolean;
  readonly #policy: PolicyValueMasker | undefined;

  constructor(secretsRequest: boolean, policy: PolicyValueMasker | undefined) {
    this.#secretsRequest = secretsRequest;
    this.#policy = policy;
  }

  accept(agentAccept: string | undefined): string {
    return jsonOnlyAccept(agentAccept);
  }

  maskBody(body: Buffer, contentType: string | undefined): MaskedBody {
    if (body.length > MAX_BODY_BYTES)
      throw new KubernetesMaskingError(
        'BodyTooLarge',
        `the response has ${body.length} bytes, more than the ${MAX_BODY_BYTES} the masker reads; it is refused (page the list with limit=500)`,
      );
    if (!isJsonContentType(contentType))
      throw new KubernetesMaskingError(
        'NotJson',
        `the response is ${contentType === undefined ? 'without a content type' : `"${contentType}"`}, not JSON, so it cannot be masked; it is refused`,
      );
    const text = body.toString('utf8');
    const value = parseJson(text, 'the response body');
    const counts = newCounts();
    const masker = this.#masker();
    const masked = maskingDepthGuard(() => masker.maskResponse(value, counts));
    if (masked === value) return { body, counts };
    // The API server ends a body with a newline; keep the shape.
    const serialized = JSON.stringify(masked) + (text.endsWith('\n') ? '\n' : '');
    return { body: Buffer.from(serialized, 'utf8'), counts };
  }

  watchTransform(options?: { readonly maxLineBytes?: number }): Transform & { readonly counts: MaskCounts } {
    return new WatchMaskingTransform(this.#masker(), options?.maxLineBytes ?? DEFAULT_MAX_WATCH_EVENT_BYTES);
  }

  #masker(): ResourceMasker {
    return new ResourceMasker(
      this.#policy === undefined
        ? { secretsRequest: this.#secretsRequest }
        : { secretsRequest: this.#secretsRequest, policy: this.#policy },
    );
  }
}

function isSecretsResource(resource: NonNullable<MaskedRequest['resource']>): boolean {
  return resource.apiGroup === '' && resource.resource === 'secrets';
}

/**
 * The session's rules compiled for JSON, once per rule list: a session passes the same list with
 * every request, and the masker's key cache then serves them all. Keyed weakly, so a replaced
 * policy's masker goes with it.
 */
const policyMaskers = new WeakMap<readonly CompiledRule[], PolicyValueMasker | null>();

function policyFor(rules: readonly CompiledRule[] | undefined): PolicyValueMasker | undefined {
  if (rules === undefined || rules.length === 0) return undefined;
  let masker = policyMaskers.get(rules);
  if (masker === undefined) {
    const effective = rules.filter((rule) => rule.columns.length > 0 || rule.finders.length > 0);
    masker = effective.length === 0 ? null : new PolicyValueMasker(effective);
    policyMaskers.set(rules, masker);
  }
  return masker ?? undefined;
}
