/**
 * What a parent agent may hand a sub-agent: pure. A sub-agent never gains a target or a lifetime
 * its parent lacks, a chain never grows past the identity's `delegation.maxDepth`, and an identity
 * without `spec.delegation` cannot delegate at all (docs/adr/0030-delegation-to-sub-agents.md).
 */

import { durationSeconds } from '@airlock/contracts/approval';
import type { AgentPrincipal, AgentTokenRefusal } from '@airlock/contracts/broker';
import type { AgentIdentity } from '@airlock/crds';

/** What the parent asked for (contracts DelegationRequest, without the parent's token). */
export interface DelegationAsk {
  readonly name: string;
  readonly targets?: readonly string[];
  readonly ttlSeconds?: number;
}

export interface DelegationGrant {
  readonly targets: readonly string[];
  readonly depth: number;
  /** The parent's chain with the new sub-agent appended. */
  readonly chain: readonly string[];
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

export type GrantResult =
  | { readonly ok: true; readonly value: DelegationGrant }
  | { readonly ok: false; readonly reason: AgentTokenRefusal | 'Invalid'; readonly message: string };

/** Sub-agent names as the CRD's RequesterDelegation.chain accepts them. */
export const SUB_AGENT_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
export const SUB_AGENT_NAME_MAX = 63;
/** A grant shorter than this is of no use to anyone and hints at a clock problem. */
export const MIN_TTL_SECONDS = 10;
const DEFAULT_MAX_TTL = '15m';

const refuse = (reason: AgentTokenRefusal | 'Invalid', message: string): GrantResult => ({ ok: false, reason, message });

/**
 * The grant for `ask`, from `parent` (as the broker authenticated it: the pod's own identity, or
 * a token's, or a delegated token's) of `identity` (the identity the parent is), at `nowSeconds`.
 */
export function delegationGrant(parent: AgentPrincipal, identity: AgentIdentity, ask: DelegationAsk, nowSeconds: number): GrantResult {
  const name = identity.metadata.name ?? '';
  const settings = identity.spec.delegation;
  if (!SUB_AGENT_NAME.test(ask.name) || ask.name.length > SUB_AGENT_NAME_MAX) {
    return refuse(
      'Invalid',
      `sub-agent name ${JSON.stringify(ask.name.slice(0, 80))} is not valid: use lowercase letters, digits, '-' and '.', at most ${SUB_AGENT_NAME_MAX} characters`,
    );
  }
  if (settings === undefined) {
    return refuse(
      'DelegationNotAllowed',
      `AgentIdentity ${name} does not allow delegation: set spec.delegation.maxDepth on it to let its agents hand sub-agents a narrower token`,
    );
  }
  const parentDepth = parent.delegation?.depth ?? 0;
  const depth = parentDepth + 1;
  if (depth > settings.maxDepth) {
    return refuse(
      'DelegationTooDeep',
      `a sub-agent at depth ${depth} would pass AgentIdentity ${name}'s spec.delegation.maxDepth of ${settings.maxDepth}: the chain ${[...(parent.delegation?.chain ?? []), ask.name].join(' → ')} is too long`,
    );
  }
  const parentTargets = parent.targets ?? [];
  const wanted = ask.targets === undefined ? [...parentTargets] : [...new Set(ask.targets)];
  const beyond = wanted.filter((target) => !parentTargets.includes(target));
  if (beyond.length > 0) {
    return refuse(
      'DelegationTooBroad',
      `the sub-agent asked for ${beyond.join(', ')}, which its parent may not use (it may use ${parentTargets.join(', ') || 'nothing'}): a sub-agent gets a subset of its parent's targets`,
    );
  }
  if (wanted.length === 0)
    return refuse('Invalid', 'a sub-agent needs at least one target: name some of the parent’s, or leave targets out for all of them');
  const maxTtl = durationSeconds(settings.maxTTL ?? DEFAULT_MAX_TTL);
  const parentExpiry = parent.expiresAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(parent.expiresAt) / 1000;
  const asked = ask.ttlSeconds ?? maxTtl;
  if (!Number.isInteger(asked) || asked < MIN_TTL_SECONDS) {
    return refuse('Invalid', `ttlSeconds must be a whole number of seconds, at least ${MIN_TTL_SECONDS}`);
  }
  if (asked > maxTtl) {
    return refuse(
      'DelegationTooBroad',
      `the sub-agent asked for ${asked} s, longer than AgentIdentity ${name}'s spec.delegation.maxTTL (${settings.maxTTL ?? DEFAULT_MAX_TTL})`,
    );
  }
  const expiresAt = Math.min(nowSeconds + asked, parentExpiry);
  if (expiresAt - nowSeconds < MIN_TTL_SECONDS) {
    return refuse(
      'DelegationTooBroad',
      'the parent’s own token expires within seconds: it cannot delegate what it is about to lose; get a fresh token first',
    );
  }
  return {
    ok: true,
    value: { targets: wanted, depth, chain: [...(parent.delegation?.chain ?? []), ask.name], expiresAt: Math.floor(expiresAt) },
  };
}
