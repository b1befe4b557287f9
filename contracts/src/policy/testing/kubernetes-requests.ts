/** Kubernetes request facts for policy tests, written the way kubectl makes the requests. */
import {
  type KubernetesNonResourceFacts,
  type KubernetesNonResourceVerb,
  type KubernetesResourceFacts,
  type KubernetesResourceVerb,
  type KubernetesUnknownFacts,
  kubernetesKinds,
} from '../kubernetes-facts.ts';

type ResourceExtra = Partial<Omit<KubernetesResourceFacts, 'isResourceRequest' | 'verb' | 'kinds'>>;

/**
 * `resource` is `pods` or `pods/exec`. `where` is a namespace, `cluster`, or `all` (every
 * namespace); `unplaced` leaves the scope out, as a builder that could not tell does.
 */
export function resourceRequest(
  verb: KubernetesResourceVerb,
  resource: string,
  where: string,
  extra: ResourceExtra = {},
): KubernetesResourceFacts {
  const [name, subresource] = resource.split('/');
  const request = {
    text: `${verb} ${resource} ${where}`,
    isResourceRequest: true as const,
    verb,
    apiGroup: '',
    apiVersion: 'v1',
    resource: name!,
    ...(subresource === undefined ? {} : { subresource }),
    ...(where === 'cluster'
      ? { scope: 'cluster' as const }
      : where === 'all'
        ? { scope: 'all-namespaces' as const }
        : where === 'unplaced'
          ? {}
          : { namespace: where, scope: 'namespace' as const }),
    dryRun: false,
    ...extra,
  };
  return { ...request, kinds: kubernetesKinds(request) };
}

export function nonResourceRequest(verb: KubernetesNonResourceVerb, path: string): KubernetesNonResourceFacts {
  const request = { text: `${verb.toUpperCase()} ${path}`, isResourceRequest: false as const, verb, nonResourcePath: path, dryRun: false };
  return { ...request, kinds: kubernetesKinds(request) };
}

export function unknownRequest(reason = 'an encoded slash in the path'): KubernetesUnknownFacts {
  return { text: 'GET /api/v1/namespaces/a%2Fb/pods', kinds: ['unknown'], unknownReason: reason, isResourceRequest: false, dryRun: false };
}
