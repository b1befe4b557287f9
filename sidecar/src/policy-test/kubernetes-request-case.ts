/**
 * A kubernetes case's request line read the way the sidecar reads an agent's request
 * (protocols/kubernetes/request/parsed-request.ts): splitRequestTarget and parseKubernetesRequest
 * place it as the API server would, and kubernetesRequestFacts turns it into what a
 * `match.kubernetes` rule reads. The one difference is where the scope of a request without a
 * namespace comes from: the sidecar asks its API server's discovery, this command has none and
 * uses the table of built-in resources (builtInNamespaced). A resource the table does not know (a
 * custom resource) keeps its scope unknown and is read as both cluster-scoped and across all
 * namespaces, as the sidecar reads one its discovery does not list.
 */
import { builtInNamespaced, type KubernetesRequestInfo, parseKubernetesRequest, splitRequestTarget } from '@airlock/contracts/kubernetes';
import { type KubernetesFacts, kubernetesRequestFacts } from '@airlock/contracts/policy';
import { kubectlTerms } from '../protocols/kubernetes/request/operation-text.ts';
import { splitRequestLine } from './test-file-format.ts';

export interface KubernetesRequestReading {
  readonly method: string;
  /** The request-target as written: path and query, still percent-encoded. */
  readonly target: string;
  readonly info: KubernetesRequestInfo;
  readonly facts: KubernetesFacts;
  /** The request in kubectl terms, as reviewers read it: facts.text, and an exec's command after `--`. */
  readonly terms: string;
}

/** Reads a request line the test file format accepted (`METHOD /path?query`). */
export function readKubernetesRequest(line: string): KubernetesRequestReading {
  const requestLine = splitRequestLine(line);
  // The test file format refuses anything else, so this is a bug, not an input problem.
  if (requestLine === undefined) throw new Error(`a kubernetes case reached the run without a request line: ${JSON.stringify(line)}`);
  const { method, target } = requestLine;
  const { path, query } = splitRequestTarget(target);
  const info = parseKubernetesRequest({ method, path, query });
  const facts = kubernetesRequestFacts(info, builtInNamespaced);
  const terms = kubectlTerms(facts, info.kind === 'resource' ? info.subresource : undefined, query);
  return { method, target, info, facts, terms };
}
