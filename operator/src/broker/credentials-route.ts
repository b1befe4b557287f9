/**
 * POST /v1/credentials: a Target's credentials for one session, just in time. A session answers
 * for its own identity only — the one its agent's token maps to (verified again), or the pod's own
 * when it presented none — so the Target must be one that identity may use, not merely one the
 * pod's sidecar serves for another identity.
 */

import type { LoginCertificate } from '@airlock/contracts/ssh-certificates';
import type { TargetCredentials } from '@airlock/contracts/targets';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog.ts';
import type { KubeClient } from '../kube/client.ts';
import type { AcceptedAgentToken } from './agent-tokens.ts';
import { credentialsFor } from './credentials.ts';
import { BrokerHttpError, isObject } from './http-io.ts';
import type { MintedTokenInfo } from './kubernetes-credentials.ts';
import { ownIdentity, podAccess, targetsOf } from './pod-access.ts';
import type { AuthenticatedPod } from './pod-authenticator.ts';

export interface CredentialsContext {
  readonly client: KubeClient;
  readonly catalog: Catalog;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly acceptAgentToken: (pod: AuthenticatedPod, token: string) => Promise<AcceptedAgentToken>;
}

export async function answerCredentials(context: CredentialsContext, pod: AuthenticatedPod, body: unknown): Promise<TargetCredentials> {
  if (!isObject(body) || typeof body.target !== 'string') throw new BrokerHttpError('Invalid', 'send { target: "<name>" }');
  const { agentToken } = body;
  if (agentToken !== undefined && (typeof agentToken !== 'string' || agentToken === '')) {
    throw new BrokerHttpError('Invalid', 'agentToken must be the token the agent presented, as a non-empty string, or absent');
  }
  const access = podAccess(context.catalog, pod);
  const accepted = agentToken === undefined ? undefined : await context.acceptAgentToken(pod, agentToken);
  const identity = accepted?.identity ?? ownIdentity(access);
  const reachable = accepted?.principal.targets ?? targetsOf(access, identity);
  const wanted = body.target;
  const target = reachable.includes(wanted) ? access.targets.find((candidate) => candidate.metadata.name === wanted) : undefined;
  if (!target) {
    throw new BrokerHttpError(
      'Forbidden',
      `Target ${wanted} is not one of this pod's targets that AgentIdentity ${identity.metadata.name}${accepted ? ' (from the agent token)' : ''} may use (it reaches ${reachable.join(', ') || 'none'})`,
    );
  }
  const { logger } = context;
  // An ssh Target with a certificate authority signs the sidecar's key; the others ignore these fields.
  const login = {
    publicKey: body.publicKey,
    sessionId: body.sessionId,
    namespace: pod.namespace,
    identity: identity.metadata.name ?? '',
    pod: pod.name,
    now: context.clock(),
    onIssued: (issued: LoginCertificate) =>
      logger.info(
        {
          target: target.metadata.name,
          keyId: issued.keyId,
          serial: issued.serial,
          validAfter: new Date(issued.validAfter * 1000).toISOString(),
          validBefore: new Date(issued.validBefore * 1000).toISOString(),
          authority: issued.authority,
        },
        'ssh login certificate issued',
      ),
  };
  // A kubernetes Target with serviceAccountName mints a token for this pod; the others ignore it.
  const agentPod = {
    name: pod.name,
    uid: pod.uid,
    serviceAccountName: pod.object.spec?.serviceAccountName || 'default',
    onMinted: (minted: MintedTokenInfo) =>
      logger.info({ target: target.metadata.name, pod: pod.name, ...minted }, 'kubernetes token minted'),
  };
  return credentialsFor(context.client, pod.namespace, target, login, agentPod);
}
