/**
 * Who serves a group the parser could not place: kube-apiserver itself (a custom resource, whose
 * dry run is honoured) or an extension API server behind the aggregator (which may ignore dryRun
 * and really act). The group version's APIService tells: a local one has no `spec.service`.
 * Anything short of that answer counts as "cannot tell", and no dry run is sent.
 */
import type { EvidenceContext } from './evidence-context.ts';
import { callUpstream, isObject } from './upstream-call.ts';

export type GroupServer =
  | { readonly kind: 'kube-apiserver' }
  | { readonly kind: 'aggregated'; readonly service: string }
  | { readonly kind: 'unknown'; readonly why: string };

export async function apiServerOfGroup(
  context: Pick<EvidenceContext, 'upstream' | 'signal'>,
  group: string,
  version: string,
): Promise<GroupServer> {
  const name = `${version}.${group}`;
  const answer = await callUpstream(context.upstream, {
    method: 'GET',
    path: `/apis/apiregistration.k8s.io/v1/apiservices/${encodeURIComponent(name)}`,
    signal: context.signal,
  });
  switch (answer.kind) {
    case 'refused':
      return {
        kind: 'unknown',
        why:
          answer.status === 404
            ? `no APIService ${name} exists`
            : `the APIService ${name} could not be read (${answer.status} ${answer.reason})`,
      };
    case 'failed':
      return { kind: 'unknown', why: `the APIService ${name} could not be read (${answer.message})` };
    case 'object': {
      const spec = answer.object.spec;
      const service = isObject(spec) ? spec.service : undefined;
      if (service === undefined || service === null) return { kind: 'kube-apiserver' };
      const where = isObject(service) ? `${String(service.namespace ?? '')}/${String(service.name ?? '')}` : 'a service';
      return { kind: 'aggregated', service: where };
    }
  }
}
