/**
 * POST /v1/delegations: a parent agent, through its sidecar, asks for a narrower token for a
 * sub-agent it spawns (docs/adr/0030). The parent is who the session is: its own token verified
 * again (an OIDC token, or a delegated one for a sub-agent delegating further), or the pod's own
 * identity. The grant is decided by delegation-grant.ts (never broader, never deeper than
 * allowed); the token is signed with the operator's delegation key and bound to this pod.
 */
import type { DelegationResponse } from '@airlock/contracts/broker';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog.ts';
import { mintDelegatedToken } from '../identity/delegation/delegated-token.ts';
import { type DelegationAsk, delegationGrant } from '../identity/delegation/delegation-grant.ts';
import type { DelegationKeys } from '../identity/delegation/delegation-key.ts';
import type { AcceptedAgentToken } from './agent-tokens.ts';
import { tokenRefused } from './agent-tokens-plan.ts';
import type { BrokerMetrics } from './broker-metrics.ts';
import { BrokerHttpError, isObject } from './http-io.ts';
import { ownIdentity, podAccess, targetsOf } from './pod-access.ts';
import type { AuthenticatedPod } from './pod-authenticator.ts';
import { principalFor } from './sidecar-config.ts';

export interface DelegationContext {
  readonly catalog: Catalog;
  readonly clock: () => number;
  readonly keys: DelegationKeys;
  readonly acceptAgentToken: (pod: AuthenticatedPod, token: string) => Promise<AcceptedAgentToken>;
  readonly logger: Logger;
  readonly metrics: Pick<BrokerMetrics, 'delegations'>;
}

const SHAPE_HELP =
  'send { name: "<sub-agent>", targets?: ["<target>", ...], ttlSeconds?: <seconds>, agentToken?: "<the parent\'s token>" }';

function parseAsk(body: unknown): DelegationAsk & { readonly agentToken?: string } {
  if (!isObject(body) || typeof body.name !== 'string') throw new BrokerHttpError('Invalid', SHAPE_HELP);
  const { targets, ttlSeconds, agentToken } = body;
  if (targets !== undefined && (!Array.isArray(targets) || targets.length > 64 || !targets.every((t) => typeof t === 'string'))) {
    throw new BrokerHttpError('Invalid', `targets must be a list of Target names: ${SHAPE_HELP}`);
  }
  if (ttlSeconds !== undefined && typeof ttlSeconds !== 'number')
    throw new BrokerHttpError('Invalid', `ttlSeconds must be a number: ${SHAPE_HELP}`);
  if (agentToken !== undefined && (typeof agentToken !== 'string' || agentToken === '')) {
    throw new BrokerHttpError('Invalid', `agentToken must be the parent's token, or absent: ${SHAPE_HELP}`);
  }
  return {
    name: body.name,
    ...(targets === undefined ? {} : { targets: targets as string[] }),
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    ...(agentToken === undefined ? {} : { agentToken }),
  };
}

export async function delegate(context: DelegationContext, pod: AuthenticatedPod, body: unknown): Promise<DelegationResponse> {
  try {
    const ask = parseAsk(body);
    const parent: Pick<AcceptedAgentToken, 'principal' | 'identity'> =
      ask.agentToken === undefined
        ? (() => {
            const access = podAccess(context.catalog, pod);
            const identity = ownIdentity(access);
            return { identity, principal: principalFor(pod, identity, targetsOf(access, identity)) };
          })()
        : await context.acceptAgentToken(pod, ask.agentToken);
    const nowSeconds = context.clock() / 1000;
    const grant = delegationGrant(parent.principal, parent.identity, ask, nowSeconds);
    if (!grant.ok) {
      throw grant.reason === 'Invalid' ? new BrokerHttpError('Invalid', grant.message) : tokenRefused(grant.reason, grant.message);
    }
    const { principal } = parent;
    const minted = await mintDelegatedToken(
      await context.keys.current(),
      {
        namespace: pod.namespace,
        identity: principal.identity,
        podUid: pod.uid,
        targets: grant.value.targets,
        depth: grant.value.depth,
        chain: grant.value.chain,
        ...(principal.onBehalfOf === undefined ? {} : { onBehalfOf: principal.onBehalfOf }),
        ...(principal.issuer === undefined ? {} : { rootIssuer: principal.issuer }),
        expiresAt: grant.value.expiresAt,
      },
      nowSeconds,
    );
    const expiresAt = new Date(grant.value.expiresAt * 1000).toISOString();
    context.metrics.delegations.inc({ outcome: 'granted' });
    context.logger.info(
      {
        namespace: pod.namespace,
        pod: pod.name,
        identity: principal.identity,
        chain: grant.value.chain,
        targets: grant.value.targets,
        expiresAt,
        tokenId: minted.tokenId,
        ...(principal.onBehalfOf === undefined ? {} : { onBehalfOf: principal.onBehalfOf }),
      },
      'delegated token granted',
    );
    return { token: minted.token, expiresAt, targets: grant.value.targets, depth: grant.value.depth };
  } catch (error) {
    if (error instanceof BrokerHttpError) context.metrics.delegations.inc({ outcome: error.reason ?? error.code });
    throw error;
  }
}
