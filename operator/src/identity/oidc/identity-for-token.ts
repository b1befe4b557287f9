/**
 * Which AgentIdentity a verified OIDC token is: pure, like resolve-identity.ts is for pod identity.
 * Exactly one identity of the pod's namespace must accept the token — its `oidc.issuer` equals
 * the token's issuer, one of its audiences is among the token's, and every claim matcher holds.
 * None is a refusal that says, per identity of that issuer, what did not match; more than one is
 * refused as ambiguous rather than picked by order, because the identities may reach different
 * Targets and an author who wrote overlapping matchers should hear about it, not have one win.
 *
 * The human the agent acts for comes from the chosen identity's `onBehalfOfClaim` in the verified
 * claims, never from anything the agent says (docs/adr/0027-agent-oidc-identities.md).
 */
import type { AgentIdentity } from '@airlock/crds';
import type { Resolution } from '../resolve-identity.ts';
import { matchClaims, onBehalfOf } from './claim-matchers.ts';
import type { VerifiedToken } from './token-verifier.ts';

export interface TokenIdentity {
  readonly identity: AgentIdentity;
  /** From the identity's onBehalfOfClaim, when it names one and the token carries it as a string. */
  readonly onBehalfOf?: string;
}

type Verdict = { readonly accepted: true } | { readonly accepted: false; readonly reason: string };

function judge(identity: AgentIdentity, token: VerifiedToken): Verdict {
  const oidc = identity.spec.oidc!;
  if (!oidc.audiences.some((audience) => token.audiences.includes(audience))) {
    return {
      accepted: false,
      reason: `it accepts audiences ${oidc.audiences.join(', ')}, the token is for ${token.audiences.join(', ') || 'no audience'}`,
    };
  }
  const claims = matchClaims(token.claims, oidc.claims ?? []);
  return claims.ok ? { accepted: true } : { accepted: false, reason: claims.reason };
}

const nameOf = (identity: AgentIdentity) => identity.metadata.name ?? '';

export function identityForToken(identities: readonly AgentIdentity[], token: VerifiedToken): Resolution<TokenIdentity> {
  const sameIssuer = identities.filter((identity) => identity.spec.oidc?.issuer === token.issuer);
  if (sameIssuer.length === 0) {
    return {
      ok: false,
      code: 'NoIdentity',
      message: `no AgentIdentity here accepts tokens from issuer ${token.issuer}: add one with spec.oidc.issuer: ${token.issuer}`,
    };
  }
  const verdicts = sameIssuer.map((identity) => ({ identity, verdict: judge(identity, token) }));
  const accepting = verdicts.filter(({ verdict }) => verdict.accepted).map(({ identity }) => identity);
  if (accepting.length === 1) {
    const identity = accepting[0]!;
    const claimName = identity.spec.oidc!.onBehalfOfClaim;
    const human = claimName === undefined ? undefined : onBehalfOf(token.claims, claimName);
    return { ok: true, value: human === undefined ? { identity } : { identity, onBehalfOf: human } };
  }
  if (accepting.length > 1) {
    return {
      ok: false,
      code: 'AmbiguousIdentity',
      message: `AgentIdentities ${accepting.map(nameOf).sort().join(', ')} all accept this token (issuer ${token.issuer}, subject ${token.subject}): narrow their spec.oidc.claims so that exactly one matches`,
    };
  }
  const reasons = verdicts
    .map(({ identity, verdict }) => (verdict.accepted ? '' : `AgentIdentity ${nameOf(identity)}: ${verdict.reason}`))
    .sort();
  return {
    ok: false,
    code: 'NoIdentity',
    message: `no AgentIdentity accepts this token from issuer ${token.issuer} (subject ${token.subject}): ${reasons.join('; ')}`,
  };
}
