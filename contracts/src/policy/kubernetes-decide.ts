/**
 * How a Kubernetes request is decided: by the policies, unless the request could not be placed
 * the way the API server places it — then it is refused, whatever the policies say, even in
 * audit mode, and no reviewer can approve it.
 *
 * Elsewhere what cannot be classified may be held for a human (ADR 0006): a reviewer can read an
 * odd SQL statement. An unplaceable Kubernetes request is different (ADR 0026): the parser refuses
 * only encodings no client library sends (an encoded slash, a dot segment, a repeated parameter,
 * a selector the API server cannot parse), no deny rule can catch it (it has no verb, resource or
 * namespace to match), and the API server decodes it into something real — `GET
 * /api/v1/namespaces/prod-eu%2Fsecrets` is a list of Secrets. Holding it would turn a policy's
 * "never" into "if someone approves"; refusing it costs a legitimate client nothing.
 */
import { type CompiledPolicy, type Decision, decide } from './decide.ts';
import type { KubernetesFacts } from './kubernetes-facts.ts';

export function decideKubernetesRequest(facts: KubernetesFacts, policies: readonly CompiledPolicy<KubernetesFacts>[]): Decision {
  if (!facts.kinds.includes('unknown')) return decide(facts, policies);
  return {
    action: 'deny',
    audit: [],
    failedClosed: true,
    reason: `the request cannot be placed the way the API server places it (${facts.unknownReason ?? 'unknown shape'}), so it is refused: send the path and query as kubectl and the client libraries do`,
  };
}
