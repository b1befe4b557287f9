/**
 * One kubernetes Target's listener: an HTTP listener on the pod's loopback (core/http) whose
 * requests are decided one by one (request/request-pipeline.ts, request/upgrade-pipeline.ts) and
 * sent to the Target's API server with a credential from the broker
 * (upstream/kubernetes-upstream.ts).
 *
 * Each TCP connection is one recorded session, opened on its first request once the agent is
 * authenticated (pod identity needs nothing; an agent that carries its own token sends it as a
 * bearer token; a refused agent gets 401 and may try again on the same connection). Once
 * listening, the listener is added to the kubeconfig on the config volume (contracts'
 * renderAgentKubeconfig; KUBECONFIG names it), so the file describes every Kubernetes listener
 * before the sidecar reports ready.
 *
 * A session opened with a token ends when the token expires (core/session/token-expiry.ts): from
 * then on a request is answered 401 with a Status saying so, and the connection closes — at once
 * when idle, after the answers in flight otherwise (HttpConnection.end, as a graceful shutdown), and
 * whatever still runs when the grace is over (a watch, an exec) is dropped.
 */
import { randomUUID } from 'node:crypto';
import { type AgentKubernetesListener, KUBECONFIG_FILE, renderAgentKubeconfig } from '@airlock/contracts/targets';
import type { Logger } from 'pino';
import { AgentAuthError } from '../../core/agent-auth-error.ts';
import type { ConfigVolume } from '../../core/config-volume.ts';
import type { HttpLimits } from '../../core/http/http-limits.ts';
import { type HttpConnection, startHttpListener } from '../../core/http/http-listener.ts';
import type { ListenRequest, TargetListener } from '../../core/protocol.ts';
import {
  type SessionExpiry,
  scheduleSessionExpiry,
  TOKEN_EXPIRED_CODE,
  TOKEN_EXPIRED_REASON,
  type TokenExpiry,
} from '../../core/session/token-expiry.ts';
import { ResourceScopes } from './discovery/resource-scopes.ts';
import type { KubernetesProtocolOptions } from './kubernetes-protocol.ts';
import { renderStatusRefusal, sendStatus, sendStatusOnSocket } from './request/kubernetes-status.ts';
import type { KubernetesListenerServices } from './request/request-context.ts';
import { handleRequest } from './request/request-pipeline.ts';
import { handleUpgrade } from './request/upgrade-pipeline.ts';
import { createKubernetesSessionFactory, type KubernetesSession } from './session/kubernetes-session.ts';
import { KubernetesUpstream } from './upstream/kubernetes-upstream.ts';

/** One agent connection: its session, opened (authenticated) on the first request. */
interface ConnectionState {
  readonly connection: HttpConnection;
  session?: Promise<KubernetesSession>;
  /** Ends the session when its token expires; set with the session. */
  expiry?: SessionExpiry;
  /** Set when the token's expiry ended the connection: session.close says so. */
  endedBy?: string;
}

/** `listening`: the Kubernetes listeners of this sidecar so far, shared by its Targets (the kubeconfig names them all). */
export async function listenKubernetes(
  request: ListenRequest,
  limits: HttpLimits,
  options: KubernetesProtocolOptions,
  listening: AgentKubernetesListener[],
): Promise<TargetListener> {
  const { target } = request;
  const logger = request.logger.child({ target: target.name });
  const upstream = new KubernetesUpstream({
    target,
    credentials: request.credentials,
    clock: request.clock,
    connectTimeoutMs: limits.upstreamConnectTimeoutMs,
  });
  const services: KubernetesListenerServices = {
    upstream,
    scopes: new ResourceScopes({ client: () => upstream.client(), clock: request.clock, logger }),
    limits,
    logger,
    clock: request.clock,
    maxMaskedBodyBytes: options.maxMaskedBodyBytes ?? 64 * 1024 * 1024,
    evidenceTimeoutMs: options.evidenceTimeoutMs ?? 5_000,
  };
  // The services every protocol shares come with the request.
  const sessions = createKubernetesSessionFactory({ ...request, logger });
  const open = (state: ConnectionState, authorization: string | undefined): Promise<KubernetesSession> => {
    if (state.session) return state.session;
    const session = (async () => {
      const token = bearerToken(authorization);
      const principal = await request.authenticator.authenticate({ target, user: '', ...(token ? { token } : {}) });
      request.onSessionCount?.(1);
      const opened = sessions({ sessionId: randomUUID(), principal, clientAddress: state.connection.clientAddress });
      state.expiry = scheduleSessionExpiry({
        principal,
        clock: request.clock,
        onExpired: (expiry) => tokenExpired(state, opened, expiry),
        onGraceOver: () => state.connection.destroy(TOKEN_EXPIRED_REASON),
      });
      return opened;
    })();
    state.session = session;
    // A refused agent may send a fresh token on the same connection (a client's credential plugin renews it after a 401).
    session.catch(() => {
      if (state.session === session) delete state.session;
    });
    return session;
  };
  /** The token expired: recorded once, and the connection ends once what is in flight is answered. */
  const tokenExpired = (state: ConnectionState, session: KubernetesSession, expiry: TokenExpiry): void => {
    if (state.endedBy !== undefined) return;
    state.endedBy = TOKEN_EXPIRED_REASON;
    session.context.metrics.error(TOKEN_EXPIRED_CODE);
    logger.info({ expiresAt: expiry.expiresAt, sessionId: session.context.sessionId }, 'the agent token expired; ending the session');
    session.recording.failed(undefined, TOKEN_EXPIRED_CODE, expiry.message);
    state.connection.end(TOKEN_EXPIRED_REASON);
  };
  /** The session's token has expired by the clock (the timer may not have fired yet): what the agent reads, after the session was told to end. */
  const expiredNow = (state: ConnectionState, session: KubernetesSession): TokenExpiry | undefined => {
    const expiry = state.expiry?.expiry();
    if (expiry) tokenExpired(state, session, expiry);
    return expiry;
  };
  /** A refused agent gets 401, as from the API server for a bad token; a session that cannot be opened, 403. */
  const refusal = (error: unknown): ['Unauthorized' | 'Forbidden', string] => {
    const message = (error as Error).message;
    logger.warn({ error: message }, 'agent refused');
    return error instanceof AgentAuthError
      ? ['Unauthorized', `the agent could not be authenticated: ${message}`]
      : ['Forbidden', `no session could be opened for the agent: ${message}`];
  };
  const listener = await startHttpListener<ConnectionState>({
    host: request.host,
    port: request.port,
    limits,
    logger,
    renderRefusal: renderStatusRefusal,
    handlers: {
      open: (connection) => ({ connection }),
      close: (state, reason) => {
        state.session
          ?.then(async (session) => {
            state.expiry?.cancel();
            session.recording.closed(state.endedBy ?? reason);
            request.onSessionCount?.(-1);
            await session.context.record.close();
          })
          .catch(() => undefined);
      },
      request: async (state, incoming, response) => {
        let session: KubernetesSession;
        try {
          session = await open(state, incoming.headers.authorization);
        } catch (error) {
          sendStatus(response, ...refusal(error));
          return;
        }
        const expired = expiredNow(state, session);
        if (expired) {
          sendStatus(response, 'Unauthorized', expired.message);
          return;
        }
        await handleRequest(session, services, incoming, response);
      },
      upgrade: async (state, incoming, socket, head) => {
        let session: KubernetesSession;
        try {
          session = await open(state, incoming.headers.authorization);
        } catch (error) {
          sendStatusOnSocket(socket, ...refusal(error));
          return;
        }
        const expired = expiredNow(state, session);
        if (expired) {
          sendStatusOnSocket(socket, 'Unauthorized', expired.message);
          return;
        }
        await handleUpgrade(session, services, incoming, socket, head);
      },
      refused: (state, code, message) => {
        logger.warn({ code, message }, 'malformed request refused');
        state?.session?.then((session) => session.recording.failed(undefined, code, message)).catch(() => undefined);
      },
    },
  });
  listening.push({ target: target.name, namespace: target.namespace, host: request.host, port: listener.port });
  try {
    writeKubeconfig(request.configVolume, listening, logger);
  } catch (error) {
    await listener.close();
    upstream.close();
    throw error;
  }
  return {
    port: listener.port,
    close: async (closeOptions) => {
      await listener.close(closeOptions);
      upstream.close();
    },
  };
}

/** The token of `Authorization: Bearer <token>`, if the agent sent one (an agent with its own identity). */
function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

/** Throws ConfigVolumeError: an agent must not start without its kubeconfig (sidecar.ts stops the start). */
function writeKubeconfig(volume: ConfigVolume | undefined, listeners: readonly AgentKubernetesListener[], logger: Logger): void {
  if (!volume) {
    logger.debug('no config volume: the kubeconfig for the agents is not written');
    return;
  }
  const result = volume.write(KUBECONFIG_FILE, renderAgentKubeconfig(listeners));
  logger.debug({ directory: volume.directory, kubeconfig: result }, 'kubeconfig for the agents');
}
