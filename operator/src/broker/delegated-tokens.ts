/**
 * Who a sub-agent is that presented a token its parent obtained for it (docs/adr/0030): the
 * identity whose authority was delegated, held to the token's targets (and to what the identity
 * and pod still have), with the chain, the human and the expiry the token carries. Accepted only
 * from the pod the token was minted for, while the identity still selects that pod and still
 * allows that depth — so deleting the pod, dropping spec.delegation or lowering maxDepth voids
 * the tokens already handed out at their next use.
 */
import type { AgentPrincipal } from '@airlock/contracts/broker';
import type { AgentIdentity } from '@airlock/crds';
import type { Catalog } from '../catalog.ts';
import { type DelegatedClaims, verifyDelegatedToken } from '../identity/delegation/delegated-token.ts';
import type { DelegationKeys } from '../identity/delegation/delegation-key.ts';
import { OidcTokenError } from '../identity/oidc/oidc-errors.ts';
import { selectsPod } from '../identity/resolve-identity.ts';
import { notForThisPod, tokenRefused } from './agent-tokens-plan.ts';
import type { PodAccess } from './pod-access.ts';
import { targetsOf } from './pod-access.ts';
import type { AuthenticatedPod } from './pod-authenticator.ts';
import { principalFor } from './sidecar-config.ts';

export interface DelegatedTokenContext {
  readonly keys: DelegationKeys;
  readonly catalog: Catalog;
  readonly clock: () => number;
}

export async function delegatedPrincipal(
  context: DelegatedTokenContext,
  pod: AuthenticatedPod,
  access: PodAccess,
  token: string,
): Promise<{ readonly principal: AgentPrincipal; readonly identity: AgentIdentity; readonly subject: string }> {
  let claims: DelegatedClaims;
  try {
    claims = await verifyDelegatedToken(await context.keys.current(), token, context.clock() / 1000);
  } catch (error) {
    if (error instanceof OidcTokenError) throw tokenRefused(error.code, error.message, error);
    throw error;
  }
  if (claims.namespace !== pod.namespace || claims.podUid !== pod.uid) {
    throw tokenRefused(
      'NotForThisPod',
      'the delegated token was handed out in another pod: a sub-agent presents it only to the sidecar of the pod its parent asked in',
    );
  }
  const identity = context.catalog.identities(pod.namespace).find((candidate) => candidate.metadata.name === claims.identity);
  if (identity === undefined) {
    throw tokenRefused('NoIdentity', `AgentIdentity ${claims.identity}, whose authority the token delegates, no longer exists`);
  }
  if (!selectsPod(identity, access.facts)) throw notForThisPod(identity, access.facts);
  const maxDepth = identity.spec.delegation?.maxDepth;
  if (maxDepth === undefined) {
    throw tokenRefused('DelegationNotAllowed', `AgentIdentity ${claims.identity} no longer allows delegation (spec.delegation is gone)`);
  }
  if (claims.depth > maxDepth) {
    throw tokenRefused(
      'DelegationTooDeep',
      `the token is for depth ${claims.depth}, and AgentIdentity ${claims.identity} now allows ${maxDepth}: ask the parent for a new one`,
    );
  }
  const still = targetsOf(access, identity);
  const principal: AgentPrincipal = {
    ...principalFor(
      pod,
      identity,
      claims.targets.filter((target) => still.includes(target)),
    ),
    ...(claims.onBehalfOf === undefined ? {} : { onBehalfOf: claims.onBehalfOf }),
    ...(claims.rootIssuer === undefined ? {} : { issuer: claims.rootIssuer }),
    expiresAt: new Date(claims.expiresAt * 1000).toISOString(),
    delegation: { depth: claims.depth, chain: claims.chain },
  };
  return { principal, identity, subject: claims.chain.at(-1) ?? claims.identity };
}
