/**
 * The policy's facts (kubernetes-facts.ts) of one parsed request (@airlock/contracts/kubernetes):
 * the step between what the API server will do and what a `match.kubernetes` rule reads. Three
 * things are decided here rather than in the parser, as ADR 0025 asks of the builder:
 *
 * - **scope** of a request without a namespace: cluster-scoped or across all namespaces. The path
 *   cannot say; discovery can (`namespaced` of the resource). The caller passes what it learned;
 *   when it does not know, `scope` is left out and the matcher reads the request as both (an allow
 *   rule must cover both, a deny rule catches either).
 * - **the name** of a create: the path names no object (the name is in the body, which the policy
 *   does not read), so a create names none, whatever a body or a `name` in the path of a
 *   subresource create (pods/eviction names its pod) says — except subresources, whose path does
 *   name the object they act on.
 * - **unknown**: whatever the parser could not place is `unknown` with its reason, and an unknown
 *   request is never allowed (decide.ts).
 *
 * `text` is the request in kubectl terms (describeKubernetesRequest): what reviewers, records and
 * messages show.
 */
import { describeKubernetesRequest } from '../kubernetes/describe-request.ts';
import type { KubernetesRequestInfo, ResourceRequestInfo } from '../kubernetes/request-info.ts';
import { type KubernetesFacts, type KubernetesResourceFacts, type KubernetesScope, kubernetesKinds } from './kubernetes-facts.ts';

/** Whether a resource is namespaced, as discovery says; undefined when the caller does not know. */
export type ResourceScopeLookup = (resource: {
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
}) => boolean | undefined;

const unknownScope: ResourceScopeLookup = () => undefined;

export function kubernetesRequestFacts(info: KubernetesRequestInfo, namespaced: ResourceScopeLookup = unknownScope): KubernetesFacts {
  switch (info.kind) {
    case 'unknown':
      return {
        text: describeKubernetesRequest(info),
        kinds: ['unknown'],
        unknownReason: info.reason,
        isResourceRequest: false,
        dryRun: false,
      };
    case 'non-resource': {
      const text = describeKubernetesRequest(info);
      const request = { text, isResourceRequest: false as const, verb: info.verb, nonResourcePath: info.path, dryRun: false };
      return { ...request, kinds: kubernetesKinds(request) };
    }
    case 'resource':
      return resourceFacts(info, namespaced);
  }
}

function resourceFacts(info: ResourceRequestInfo, namespaced: ResourceScopeLookup): KubernetesResourceFacts {
  const scope = scopeOf(info, namespaced);
  const text = describeKubernetesRequest(info, { clusterScoped: scope === 'cluster' });
  // A create of the resource itself names no object: its name is in the body. A create of a
  // subresource (pods/eviction, pods/exec, serviceaccounts/token) acts on the object its path names.
  const name = info.verb === 'create' && info.subresource === '' ? '' : info.name;
  const request = {
    text,
    isResourceRequest: true as const,
    verb: info.verb,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    resource: info.resource,
    ...(info.subresource === '' ? {} : { subresource: info.subresource }),
    ...(info.namespace === '' ? {} : { namespace: info.namespace }),
    ...(scope === undefined ? {} : { scope }),
    ...(name === '' ? {} : { name }),
    dryRun: info.dryRun,
  };
  return { ...request, kinds: kubernetesKinds(request) };
}

function scopeOf(info: ResourceRequestInfo, namespaced: ResourceScopeLookup): KubernetesScope | undefined {
  if (info.namespace !== '') return 'namespace';
  const known = namespaced({ apiGroup: info.apiGroup, apiVersion: info.apiVersion, resource: info.resource });
  if (known === undefined) return undefined;
  return known ? 'all-namespaces' : 'cluster';
}
