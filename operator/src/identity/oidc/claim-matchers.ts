/**
 * The claim conditions of an AgentIdentity's `oidc.claims`, evaluated on a verified token's claims.
 * Pure. Every matcher must hold; a claim that holds a list matches when any element does (a
 * `groups` claim, GitLab's list-valued claims). `equals` is exact; `pattern` is the API's glob
 * (crds GLOB_HELP) read strictly, as for allow rules: `*` stops at `/`, `**` crosses it, case
 * counts, and a `..` segment defeats wildcards (ADR 0011) — a matcher grants an identity, so a
 * value the author did not mean must not slip through.
 *
 * Claim names use dots for nesting (`act.sub`); a claim whose own name contains a dot cannot be
 * named. Numbers and booleans compare by their JSON text (`email_verified equals true`); objects
 * and null match nothing.
 */
import { compileShellGlob } from '@airlock/contracts/policy';
import type { ClaimMatcher } from '@airlock/crds';

export type Claims = Readonly<Record<string, unknown>>;
export type ClaimsMatch = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Longest claim value quoted in a reason; claims are the issuer's, but a reason is one line. */
const QUOTE_LIMIT = 128;

/** The value at a dotted path, or undefined when any step is missing or not an object. */
export function claimValue(claims: Claims, name: string): unknown {
  let current: unknown = claims;
  for (const step of name.split('.')) {
    if (step === '' || typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, step)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function quote(value: unknown): string {
  const text = Array.isArray(value) ? `[${value.map((v) => scalarText(v) ?? typeof v).join(', ')}]` : (scalarText(value) ?? typeof value);
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

function matcherTest(matcher: ClaimMatcher): (text: string) => boolean {
  if (matcher.equals !== undefined) {
    const expected = matcher.equals;
    return (text) => text === expected;
  }
  if (matcher.pattern !== undefined) return compileShellGlob(matcher.pattern, 'strict');
  // The CRD requires exactly one of equals/pattern; an object that slipped past it matches nothing.
  return () => false;
}

function expectation(matcher: ClaimMatcher): string {
  if (matcher.equals !== undefined) return `equal ${matcher.equals}`;
  if (matcher.pattern !== undefined) return `match ${matcher.pattern}`;
  return 'carry equals or pattern (the matcher has neither)';
}

export function matchClaim(claims: Claims, matcher: ClaimMatcher): ClaimsMatch {
  const value = claimValue(claims, matcher.claim);
  if (value === undefined) return { ok: false, reason: `the token has no claim ${matcher.claim}, which must ${expectation(matcher)}` };
  const test = matcherTest(matcher);
  const candidates = Array.isArray(value) ? value : [value];
  const matched = candidates.some((candidate) => {
    const text = scalarText(candidate);
    return text !== undefined && test(text);
  });
  if (matched) return { ok: true };
  const subject = Array.isArray(value) ? 'no element of claim' : 'claim';
  return { ok: false, reason: `${subject} ${matcher.claim} (${quote(value)}) does not ${expectation(matcher)}` };
}

/** All matchers must hold; the reason names the first that does not. */
export function matchClaims(claims: Claims, matchers: readonly ClaimMatcher[]): ClaimsMatch {
  for (const matcher of matchers) {
    const result = matchClaim(claims, matcher);
    if (!result.ok) return result;
  }
  return { ok: true };
}

/** The human the agent acts for, from the configured claim: a non-empty string, or nothing. */
export function onBehalfOf(claims: Claims, claimName: string): string | undefined {
  const value = claimValue(claims, claimName);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
