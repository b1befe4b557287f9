/**
 * The shape of an AgentPrincipal as the sidecar relies on it, checked wherever one arrives from the
 * broker (the config's pod principal, the answer to an agent's token). The broker builds them; this
 * catches a wrong peer or a half-written answer before a session runs under it.
 */
import type { AgentPrincipal } from '../core/ports.ts';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

export function isAgentPrincipal(value: unknown): value is AgentPrincipal {
  if (!isObject(value)) return false;
  const { identity, namespace, serviceAccount, pod, groups, targets, expiresAt, onBehalfOf, issuer, delegation } = value;
  return (
    typeof identity === 'string' &&
    typeof namespace === 'string' &&
    typeof serviceAccount === 'string' &&
    isObject(pod) &&
    typeof pod.uid === 'string' &&
    isStringArray(groups) &&
    (targets === undefined || isStringArray(targets)) &&
    (expiresAt === undefined || (typeof expiresAt === 'string' && !Number.isNaN(Date.parse(expiresAt)))) &&
    (onBehalfOf === undefined || typeof onBehalfOf === 'string') &&
    (issuer === undefined || typeof issuer === 'string') &&
    (delegation === undefined || isDelegation(delegation))
  );
}

/** A chain as deep as it is long: the record and the reviewer's view both show it. */
function isDelegation(value: unknown): boolean {
  return (
    isObject(value) &&
    Number.isInteger(value.depth) &&
    (value.depth as number) >= 1 &&
    isStringArray(value.chain) &&
    value.chain.length === value.depth
  );
}
