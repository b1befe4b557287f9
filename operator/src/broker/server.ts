/**
 * The broker sidecars talk to (sidecar/src/broker/protocol.ts): HTTPS, every request authenticated
 * as a pod (pod-authenticator.ts), every answer about that pod only. Serves the config stream,
 * the check of tokens agents present (agent-tokens.ts), credentials, approvals and their outcome
 * streams, and recording ingest. The serving certificate is swapped in place when it is renewed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import {
  type AgentTokenResponse,
  BROKER_PATHS,
  HEARTBEAT_SECONDS,
  MAX_BODY_BYTES,
  MAX_RECORDING_BODY_BYTES,
  STREAM_MAX_SECONDS,
} from '@airlock/contracts/broker';
import { LABEL_ENABLED, LABELS } from '@airlock/contracts/install';
import { AirlockValidator, type ApprovalRequest } from '@airlock/crds';
import { listen } from '@airlock/runtime';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { InformerCatalog } from '../catalog.ts';
import type { DelegationKeys } from '../identity/delegation/delegation-key.ts';
import { AgentTokenVerifier, type TokenVerifier } from '../identity/oidc/agent-token-verifier.ts';
import { ClusterTokenVerifier } from '../identity/oidc/cluster-token-verifier.ts';
import { OidcTokenVerifier } from '../identity/oidc/token-verifier.ts';
import type { KubeClient } from '../kube/client.ts';
import { Informer } from '../kube/informer.ts';
import { KINDS } from '../kube/kinds.ts';
import type { RecordingIngestStore } from '../recordings/ingest-store.ts';
import { type AcceptedAgentToken, agentPrincipal } from './agent-tokens.ts';
import { type ApprovalContext, createApproval, reportExecution, withdrawApproval } from './approval-routes.ts';
import { createBrokerMetrics } from './broker-metrics.ts';
import { ConfigStreams } from './config-streams.ts';
import { answerCredentials } from './credentials-route.ts';
import { delegate } from './delegation-route.ts';
import { BrokerHttpError, isObject, readJson, sendError, sendJson, sendNoContent } from './http-io.ts';
import { OutcomeStreams } from './outcome-streams.ts';
import { type AuthenticatedPod, PodAuthenticator, type PodObject } from './pod-authenticator.ts';
import { closeRecording, ingestRecords } from './recording-routes.ts';

/** The serving certificate, and a way to hear that it was renewed. */
export interface BrokerTls {
  current(): { readonly certPem: string; readonly keyPem: string };
  onChange(listener: () => void): unknown;
}

export interface BrokerOptions {
  readonly client: KubeClient;
  /** Started: the broker reads identities, targets, policies and requests from it. */
  readonly catalog: InformerCatalog;
  readonly tls: BrokerTls;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly recordings: RecordingIngestStore;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** Told about every ApprovalRequest the broker created (events, metrics). */
  readonly onApprovalCreated?: (request: ApprovalRequest) => void;
  /**
   * Verifies tokens agents present; when absent the broker makes its own, on its clock and logger:
   * the cluster's own issuer by TokenReview, every other by OIDC.
   */
  readonly verifier?: TokenVerifier;
  /** The operator's key for sub-agents' tokens (docs/adr/0030); without it delegation is refused. */
  readonly delegationKeys?: DelegationKeys;
  /** Agent pods (label airlock.dev/inject=true); the broker starts its own when absent. */
  readonly pods?: Informer<PodObject>;
  /** Test knobs; the defaults are the protocol's. */
  readonly heartbeatSeconds?: number;
  readonly streamMaxSeconds?: number;
  readonly authCacheTtlMs?: number;
}

export interface RunningBroker {
  readonly port: number;
  close(): Promise<void>;
}

interface Call {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly pod: AuthenticatedPod;
  readonly param: string;
}

interface Route {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  handle(call: Call): Promise<void>;
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const { client, catalog, logger } = options;
  const clock = options.clock ?? Date.now;
  const metrics = createBrokerMetrics(options.registry);
  const ownPods = options.pods === undefined;
  const pods =
    options.pods ??
    new Informer<PodObject>(client, KINDS.pod, {
      labelSelector: `${LABELS.podInject}=${LABEL_ENABLED.pod}`,
      onError: (error, phase) => logger.warn({ err: { message: (error as Error).message }, phase }, 'pod informer error; retrying'),
    });
  if (ownPods) await pods.start();
  const authenticator = new PodAuthenticator({
    client,
    pods,
    clock,
    ...(options.authCacheTtlMs !== undefined ? { cacheTtlMs: options.authCacheTtlMs } : {}),
  });
  const ownVerifier = options.verifier === undefined;
  const verifier =
    options.verifier ??
    new AgentTokenVerifier({
      oidc: new OidcTokenVerifier({ clock, logger: logger.child({ component: 'oidc' }) }),
      cluster: new ClusterTokenVerifier({ client, clock }),
    });
  const tokenContext = {
    verifier,
    catalog,
    clock,
    ...(options.delegationKeys === undefined ? {} : { delegationKeys: options.delegationKeys }),
  };
  /** Every token an agent presents, on any route, is checked, counted and logged here (never the token itself). */
  const acceptAgentToken = async (pod: AuthenticatedPod, token: string): Promise<AcceptedAgentToken> => {
    try {
      const accepted = await agentPrincipal(tokenContext, pod, token);
      metrics.agentTokens.inc({ outcome: 'accepted' });
      const { principal } = accepted;
      logger.info(
        {
          identity: principal.identity,
          namespace: pod.namespace,
          pod: pod.name,
          issuer: principal.issuer,
          subject: accepted.subject,
          ...(principal.onBehalfOf === undefined ? {} : { onBehalfOf: principal.onBehalfOf }),
          ...(principal.delegation === undefined ? {} : { chain: principal.delegation.chain }),
        },
        'agent token accepted',
      );
      return accepted;
    } catch (error) {
      if (error instanceof BrokerHttpError && error.reason !== undefined) {
        metrics.agentTokens.inc({ outcome: error.reason });
        logger.info({ namespace: pod.namespace, pod: pod.name, reason: error.reason, message: error.message }, 'agent token refused');
      }
      throw error;
    }
  };
  const stream = {
    heartbeatMs: (options.heartbeatSeconds ?? HEARTBEAT_SECONDS) * 1000,
    maxMs: (options.streamMaxSeconds ?? STREAM_MAX_SECONDS) * 1000,
  };
  const approvals: ApprovalContext = {
    client,
    catalog,
    validator: new AirlockValidator(),
    clock,
    logger,
    acceptAgentToken,
    ...(options.onApprovalCreated ? { onApprovalCreated: options.onApprovalCreated } : {}),
  };
  const configStreams = new ConfigStreams({ client, catalog, pods, logger, metrics, stream });
  const outcomeStreams = new OutcomeStreams({ context: approvals, pods, logger, metrics, stream });
  const recordings = { store: options.recordings, logger };

  const body = (call: Call, limit = MAX_BODY_BYTES) => readJson(call.request, limit);
  const routes: Route[] = [
    {
      name: 'config',
      method: 'GET',
      pattern: routePattern(BROKER_PATHS.config),
      handle: ({ pod, response }) => configStreams.open(pod, response),
    },
    {
      name: 'agent-tokens',
      method: 'POST',
      pattern: routePattern(BROKER_PATHS.agentTokens),
      handle: async (call) => {
        const request = await body(call);
        if (!isObject(request) || typeof request.token !== 'string' || request.token === '') {
          throw new BrokerHttpError('Invalid', 'send { token: "<the token the agent presented>" }');
        }
        const answer: AgentTokenResponse = { principal: (await acceptAgentToken(call.pod, request.token)).principal };
        sendJson(call.response, 200, answer);
      },
    },
    {
      name: 'credentials',
      method: 'POST',
      pattern: routePattern(BROKER_PATHS.credentials),
      handle: async (call) =>
        sendJson(
          call.response,
          200,
          await answerCredentials({ client, catalog, clock, logger, acceptAgentToken }, call.pod, await body(call)),
        ),
    },
    {
      name: 'delegations',
      method: 'POST',
      pattern: routePattern(BROKER_PATHS.delegations),
      handle: async (call) => {
        if (options.delegationKeys === undefined) throw new BrokerHttpError('Unavailable', 'this broker hands out no delegated tokens');
        const answer = await delegate(
          { catalog, clock, keys: options.delegationKeys, acceptAgentToken, logger, metrics },
          call.pod,
          await body(call),
        );
        sendJson(call.response, 201, answer);
      },
    },
    {
      name: 'approvals',
      method: 'POST',
      pattern: routePattern(BROKER_PATHS.approvals),
      handle: async (call) => {
        const created = await createApproval(approvals, call.pod, await body(call));
        sendJson(call.response, created.status, created.body);
      },
    },
    {
      name: 'outcome',
      method: 'GET',
      pattern: routePattern(BROKER_PATHS.outcome),
      handle: ({ pod, param, response }) => outcomeStreams.open(pod, param, response),
    },
    {
      name: 'withdraw',
      method: 'POST',
      pattern: routePattern(BROKER_PATHS.withdraw),
      handle: async (call) => {
        await withdrawApproval(approvals, call.pod, call.param, await body(call));
        sendNoContent(call.response);
      },
    },
    {
      name: 'execution',
      method: 'POST',
      pattern: routePattern(BROKER_PATHS.execution),
      handle: async (call) => {
        await reportExecution(approvals, call.pod, call.param, await body(call));
        sendNoContent(call.response);
      },
    },
    {
      name: 'recordings',
      method: 'POST',
      pattern: routePattern(BROKER_PATHS.recordings),
      handle: async (call) => {
        const ack = await ingestRecords(recordings, call.pod, call.param, await body(call, MAX_RECORDING_BODY_BYTES));
        sendJson(call.response, 200, ack);
      },
    },
    {
      name: 'recording-close',
      method: 'POST',
      pattern: routePattern(BROKER_PATHS.recordingClose),
      handle: async (call) => {
        await body(call);
        await closeRecording(recordings, call.pod, call.param);
        sendNoContent(call.response);
      },
    },
  ];

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const pathname = new URL(request.url ?? '/', 'https://broker').pathname;
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    for (const candidate of routes) {
      match = candidate.pattern.exec(pathname);
      if (match && candidate.method === request.method) {
        route = candidate;
        break;
      }
    }
    response.once('close', () => metrics.requests.inc({ route: route?.name ?? 'unknown', code: String(response.statusCode) }));
    try {
      if (!route || !match)
        throw new BrokerHttpError('NotFound', `no broker endpoint ${request.method} ${pathname}; see the broker protocol`);
      const pod = await authenticator.authenticate(request.headers.authorization);
      let param = '';
      try {
        param = decodeURIComponent(match[1] ?? '');
      } catch {
        throw new BrokerHttpError('Invalid', `the path ${pathname} is not valid percent-encoding`);
      }
      await route.handle({ request, response, pod, param });
    } catch (error) {
      const refusal =
        error instanceof BrokerHttpError
          ? error
          : new BrokerHttpError('Unavailable', 'the broker failed to answer; retry, and report it if it persists', { cause: error });
      if (!(error instanceof BrokerHttpError)) logger.error({ err: error, route: route?.name }, 'broker request failed');
      // Refused agent tokens were logged, with the pod, where they were checked.
      else if ((refusal.status === 401 || refusal.status === 403) && refusal.code !== 'AgentTokenRefused')
        logger.info({ route: route?.name, code: refusal.code, message: refusal.message }, 'broker request refused');
      if (response.headersSent) response.destroy();
      else sendError(response, refusal);
    }
  };

  const material = options.tls.current();
  const server = createServer({ cert: material.certPem, key: material.keyPem, minVersion: 'TLSv1.2' }, (request, response) => {
    void handle(request, response);
  });
  // Idle kept-alive connections outlive the sidecar's reuse window, so a reused socket is rarely one the broker just closed.
  server.keepAliveTimeout = 65_000;
  options.tls.onChange(() => {
    const renewed = options.tls.current();
    server.setSecureContext({ cert: renewed.certPem, key: renewed.keyPem, minVersion: 'TLSv1.2' });
    logger.info('broker serving certificate renewed');
  });
  const port = await listen(server, options.port, options.host);
  server.on('error', (error) => logger.error({ err: error }, 'broker server error'));
  logger.info({ host: options.host, port }, 'broker listening');
  return {
    port,
    close: async () => {
      configStreams.close();
      outcomeStreams.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownPods) pods.stop();
      if (ownVerifier) await verifier.close();
    },
  };
}

/** A route's pattern from the protocol's own path (one source): its parameter becomes a capture. */
function routePattern(route: string | ((param: string) => string)): RegExp {
  const placeholder = 'PARAM';
  const text = typeof route === 'string' ? route : route(placeholder);
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(placeholder, '([^/]+)')}$`);
}
