/**
 * Who an agent is that presented its own OIDC token to the sidecar (the PostgreSQL or SSH
 * password, an HTTP bearer token), as the broker decides it for the agent-tokens, approvals and
 * credentials routes. The rule: the token is verified, maps to exactly one AgentIdentity among all
 * of the pod's namespace (identityForToken), and is accepted only when that identity selects the
 * presenting pod — a token replayed from a pod of another service account is refused
 * (NotForThisPod). The principal is then the pod as that identity, held to that identity's
 * Targets, with the human the token names, its issuer and its expiry.
 *
 * Fails closed: an issuer that cannot be reached refuses the token (IssuerUnavailable), it never
 * falls back to the pod's own identity. The token itself is never logged nor put in a message.
 * The pure checks are in agent-tokens-plan.ts; docs/adr/0027-agent-oidc-identities.md says why.
 */
import type { AgentPrincipal } from '@airlock/contracts/broker';
import type { AgentIdentity } from '@airlock/crds';
import type { Catalog } from '../catalog.ts';
import { DELEGATION_ISSUER } from '../identity/delegation/delegated-token.ts';
import type { DelegationKeys } from '../identity/delegation/delegation-key.ts';
import type { TokenVerifier } from '../identity/oidc/agent-token-verifier.ts';
import { identityForToken } from '../identity/oidc/identity-for-token.ts';
import { OidcTokenError } from '../identity/oidc/oidc-errors.ts';
import type { OidcIssuerSettings, VerifiedToken } from '../identity/oidc/token-verifier.ts';
import { selectsPod } from '../identity/resolve-identity.ts';
import {
  identitySettings,
  issuerCandidates,
  mappingSettings,
  notForThisPod,
  sameSettings,
  tokenPrincipal,
  tokenRefused,
  unverifiedIssuer,
} from './agent-tokens-plan.ts';
import { delegatedPrincipal } from './delegated-tokens.ts';
import { podAccess, targetsOf } from './pod-access.ts';
import type { AuthenticatedPod } from './pod-authenticator.ts';
import { principalFor } from './sidecar-config.ts';

export interface AgentTokenContext {
  /** Keys are cached in it; one per broker. */
  readonly verifier: TokenVerifier;
  readonly catalog: Catalog;
  /** The operator's key for tokens of sub-agents (delegated-tokens.ts); without it such tokens are refused. */
  readonly delegationKeys?: DelegationKeys;
  readonly clock: () => number;
}

export interface AcceptedAgentToken {
  readonly principal: AgentPrincipal;
  readonly identity: AgentIdentity;
  /** The verified token's sub, for logs. */
  readonly subject: string;
}

/**
 * Throws BrokerHttpError: AgentTokenRefused (with `reason`) for every refusal of the token;
 * NoIdentity / Forbidden when the pod itself has no identity or its targets do not resolve.
 */
export async function agentPrincipal(context: AgentTokenContext, pod: AuthenticatedPod, token: string): Promise<AcceptedAgentToken> {
  const access = podAccess(context.catalog, pod);
  const issuer = unverifiedIssuer(token);
  if (issuer === DELEGATION_ISSUER) {
    if (context.delegationKeys === undefined) throw tokenRefused('DelegationNotAllowed', 'this broker hands out no delegated tokens');
    return delegatedPrincipal({ keys: context.delegationKeys, catalog: context.catalog, clock: context.clock }, pod, access, token);
  }
  const identities = context.catalog.identities(pod.namespace);
  const candidates = issuerCandidates(issuer, identities, pod.namespace);
  const loose = mappingSettings(candidates);
  const claims = await verify(context.verifier, token, loose);
  const mapped = identityForToken(identities, claims);
  if (!mapped.ok) throw tokenRefused(mapped.code === 'AmbiguousIdentity' ? 'AmbiguousIdentity' : 'NoIdentity', mapped.message);
  const { identity, onBehalfOf } = mapped.value;
  const exact = identitySettings(identity);
  const verified = sameSettings(loose, exact) ? claims : await verify(context.verifier, token, exact);
  if (!selectsPod(identity, access.facts)) throw notForThisPod(identity, access.facts);
  const principal = tokenPrincipal(principalFor(pod, identity, targetsOf(access, identity)), verified, onBehalfOf);
  return { principal, identity, subject: verified.subject };
}

async function verify(verifier: TokenVerifier, token: string, settings: OidcIssuerSettings): Promise<VerifiedToken> {
  try {
    return await verifier.verify(token, settings);
  } catch (error) {
    if (!(error instanceof OidcTokenError)) throw error;
    // Unreachable is no verdict on the token, so the agent may try again; it is still refused now.
    const message = error.code === 'IssuerUnavailable' ? `${error.message}; retry once the issuer answers` : error.message;
    throw tokenRefused(error.code, message, error);
  }
}
