/**
 * One agent request read and placed: its attributes as the API server resolves them, the policy's
 * facts (with the scope from discovery), the body (read whole before deciding: an approval binds
 * it), and the texts reviewers and records see. Shared by plain requests and upgrades.
 */
import type { IncomingMessage } from 'node:http';
import { type KubernetesRequestInfo, parseKubernetesRequest, splitRequestTarget } from '@airlock/contracts/kubernetes';
import { type KubernetesFacts, kubernetesRequestFacts } from '@airlock/contracts/policy';
import type { ResourceScopes } from '../discovery/resource-scopes.ts';
import { deleteOptionsSource } from '../evidence/delete-options.ts';
import { kubectlTerms, operationSummary, operationText } from './operation-text.ts';
import { shownSecretBody } from './secret-body.ts';

export interface ParsedRequest {
  readonly method: string;
  /** The request-target exactly as sent. */
  readonly target: string;
  readonly query: string;
  readonly info: KubernetesRequestInfo;
  readonly facts: KubernetesFacts;
  readonly body: Buffer;
  readonly contentType: string | undefined;
  /** The approval's and the recording's text (operation-text.ts). */
  readonly text: string;
  readonly summary: string;
}

export async function parseRequest(request: IncomingMessage, body: Buffer, scopes: ResourceScopes): Promise<ParsedRequest> {
  const method = request.method ?? '';
  const target = request.url ?? '';
  const { path, query } = splitRequestTarget(target);
  const contentType = request.headers['content-type'];
  const info = withBodyDryRun(parseKubernetesRequest({ method, path, query }), body, contentType);
  // The scope of a request without a namespace depends on the resource: learn it first.
  if (info.kind === 'resource' && info.namespace === '') await scopes.learn(info.apiGroup, info.apiVersion);
  const facts = kubernetesRequestFacts(info, scopes.lookup);
  const terms = kubectlTerms(facts, info.kind === 'resource' ? info.subresource : undefined, query);
  return {
    method,
    target,
    query,
    info,
    facts,
    body,
    contentType,
    text: operationText(
      terms,
      { method, target, contentType, body },
      info.kind === 'resource' ? info.subresource : undefined,
      writesSecretValues(info, body) ? shownSecretBody(body, contentType) : undefined,
    ),
    summary: operationSummary(terms),
  };
}

/**
 * A DELETE with a body is a dry run only if its body says so: kube-apiserver reads the
 * DeleteOptions of such a request from the body alone and ignores `?dryRun=All` in the query
 * (kubectl always sends a body), so a query-only dry run would really delete. What reviewers and
 * records read must say what the API server will do.
 */
export function withBodyDryRun(info: KubernetesRequestInfo, body: Buffer, contentType?: string): KubernetesRequestInfo {
  if (info.kind !== 'resource' || (info.verb !== 'delete' && info.verb !== 'deletecollection') || body.length === 0) return info;
  const source = deleteOptionsSource(body, contentType, '');
  const values = source.kind === 'body' ? source.options.dryRun : undefined;
  const dryRun = Array.isArray(values) && values.length === 1 && values[0] === 'All';
  return info.dryRun === dryRun ? info : { ...info, dryRun };
}

/** A request whose body may hold a Secret's values: any write to the core group's secrets. */
function writesSecretValues(info: KubernetesRequestInfo, body: Buffer): boolean {
  return body.length > 0 && info.kind === 'resource' && info.apiGroup === '' && info.resource === 'secrets';
}
