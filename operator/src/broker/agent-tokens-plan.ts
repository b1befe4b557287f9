/**
 * The pure half of checking a token an agent presented (agent-tokens.ts does the verifying): which
 * identities a token could be by its unverified issuer, which settings to verify it with before
 * and after it is mapped to one, whether the pod may use that identity, and the principal that
 * results. Every refusal is a BrokerHttpError AgentTokenRefused whose `reason` says which check.
 *
 * Two verifications, because identities of one issuer may differ in audiences and maxTokenAge
 * (docs/adr/0027-agent-oidc-identities.md, "Consequences"): the first, to learn the claims the
 * mapping reads, is as loose as any identity of the issuer allows (every audience, no age limit);
 * the second is exactly the mapped identity's, and only what passes it is accepted.
 */
import type { AgentPrincipal, AgentTokenRefusal } from '@airlock/contracts/broker';
import type { AgentIdentity } from '@airlock/crds';
import { decodeJwt } from 'jose';
import { MAX_TOKEN_LENGTH, type OidcIssuerSettings, type VerifiedToken } from '../identity/oidc/token-verifier.ts';
import type { PodFacts } from '../identity/resolve-identity.ts';
import { BrokerHttpError } from './http-io.ts';

const ISSUER_TEXT_LIMIT = 256;

export function tokenRefused(reason: AgentTokenRefusal, message: string, cause?: unknown): BrokerHttpError {
  return new BrokerHttpError('AgentTokenRefused', message, { reason, ...(cause === undefined ? {} : { cause }) });
}

const nameOf = (identity: AgentIdentity): string => identity.metadata.name ?? '';

/**
 * The token's unverified issuer, which decides how it is verified. Refused Malformed when the token
 * is no JWT, NoIdentity when it names no issuer — before anything is fetched.
 */
export function unverifiedIssuer(token: string): string {
  let issuer: unknown;
  try {
    if (token.length > MAX_TOKEN_LENGTH) throw new Error('too long');
    issuer = decodeJwt(token).iss;
  } catch (cause) {
    throw tokenRefused(
      'Malformed',
      `the token is not a signed JWT of at most ${MAX_TOKEN_LENGTH} characters (three base64url parts: a JSON header, JSON claims, a signature): present the ID or access token the issuer signed, as it was issued`,
      cause,
    );
  }
  if (typeof issuer !== 'string' || issuer === '') {
    throw tokenRefused(
      'NoIdentity',
      'the token names no issuer (no iss claim), so no AgentIdentity can accept it: present a token of an issuer',
    );
  }
  return issuer;
}

/**
 * The identities of the namespace that name `issuer` (the token's, unverified), by name. Refused
 * NoIdentity when none does, so a token of an unknown issuer costs no fetch.
 */
export function issuerCandidates(issuer: string, identities: readonly AgentIdentity[], namespace: string): AgentIdentity[] {
  const candidates = identities
    .filter((identity) => identity.spec.oidc?.issuer === issuer)
    .sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  if (candidates.length === 0) {
    throw tokenRefused(
      'NoIdentity',
      `no AgentIdentity in namespace ${namespace} accepts tokens from issuer ${clip(issuer)}: add one with spec.oidc.issuer set to it, or present a token of an issuer one names`,
    );
  }
  return candidates;
}

/** What the identity's spec.oidc says about verifying its tokens. */
export function identitySettings(identity: AgentIdentity): OidcIssuerSettings {
  const oidc = identity.spec.oidc;
  if (!oidc) throw new Error(`AgentIdentity ${nameOf(identity)} has no spec.oidc`);
  return {
    issuer: oidc.issuer,
    audiences: [...oidc.audiences],
    ...(oidc.jwksURL ? { jwksURL: oidc.jwksURL } : {}),
    ...(oidc.caBundle ? { caBundle: oidc.caBundle } : {}),
    ...(oidc.maxTokenAge ? { maxTokenAge: oidc.maxTokenAge } : {}),
  };
}

/**
 * Settings to verify a token with before it is mapped: the first candidate's keys (jwksURL,
 * caBundle), every candidate's audiences, and no maxTokenAge — so no identity's stricter settings
 * refuse a token another identity of the issuer would accept. Never enough on its own to accept.
 */
export function mappingSettings(candidates: readonly AgentIdentity[]): OidcIssuerSettings {
  const first = identitySettings(candidates[0]!);
  const audiences = [...new Set(candidates.flatMap((identity) => identity.spec.oidc?.audiences ?? []))].sort();
  const { maxTokenAge: _looser, ...keys } = first;
  return { ...keys, audiences };
}

/** Whether a token verified with `a` is verified with `b` too (so the second verification can be skipped). */
export function sameSettings(a: OidcIssuerSettings, b: OidcIssuerSettings): boolean {
  const audiences = (settings: OidcIssuerSettings) => [...new Set(settings.audiences)].sort().join('\n');
  return (
    a.issuer === b.issuer &&
    a.jwksURL === b.jwksURL &&
    a.caBundle === b.caBundle &&
    a.maxTokenAge === b.maxTokenAge &&
    audiences(a) === audiences(b)
  );
}

/** The refusal for a token whose identity does not select this pod: says what the identity selects and what the pod lacks. */
export function notForThisPod(identity: AgentIdentity, pod: PodFacts): BrokerHttpError {
  const selector = Object.entries(identity.spec.podSelector ?? {});
  const selects = `pods of service account ${identity.spec.serviceAccountName}${selector.length > 0 ? ` labeled ${labelText(selector)}` : ''}`;
  const missing = selector.filter(([key, value]) => pod.labels[key] !== value);
  const differs =
    identity.spec.serviceAccountName === pod.serviceAccountName
      ? `this pod lacks ${labelText(missing)}`
      : `this pod runs as service account ${pod.serviceAccountName}`;
  return tokenRefused(
    'NotForThisPod',
    `the token is AgentIdentity ${nameOf(identity)}'s, which may be used only from ${selects}, and ${differs}: a token is accepted only from the pods its identity selects; present it from one of those, or change the identity's serviceAccountName/podSelector`,
  );
}

const labelText = (labels: readonly (readonly [string, string])[]): string => labels.map(([key, value]) => `${key}=${value}`).join(', ');

/** The pod's principal as the token's identity, with what the verified token adds. */
export function tokenPrincipal(base: AgentPrincipal, token: VerifiedToken, onBehalfOf: string | undefined): AgentPrincipal {
  return {
    ...base,
    ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
    issuer: token.issuer,
    expiresAt: new Date(token.expiresAt * 1000).toISOString(),
  };
}

function clip(text: string): string {
  const printable = JSON.stringify(text);
  return printable.length > ISSUER_TEXT_LIMIT ? `${printable.slice(0, ISSUER_TEXT_LIMIT)}…` : printable;
}
