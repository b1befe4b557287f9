/**
 * A real HTTPS server on loopback that speaks the broker protocol as far as a sidecar's tests need
 * it: the config stream (one config line, then the stream stays open), agent tokens and delegations
 * answered by the test's functions, credentials by target, approvals created (and denied at once), recordings stored. It keeps every
 * request body it received, so a test can assert on what the sidecar sent (and that a token was
 * sent, or was not). Its own CA and the pod token file the BrokerClient reads are made per start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AgentPrincipal,
  BROKER_API,
  BROKER_ERROR_STATUS,
  BROKER_PATHS,
  type BrokerErrorBody,
  type DelegationRequest,
  type DelegationResponse,
  NDJSON_CONTENT_TYPE,
  type SidecarConfig,
} from '@airlock/contracts/broker';
import type { StoredRecord } from '@airlock/contracts/recording';
import type { TargetCredentials } from '@airlock/contracts/targets';
import { createCertificateAuthority, issueServingCertificate } from '@airlock/runtime/pki';
import type { BrokerClientOptions } from '../broker-client.ts';

/** What the broker answers for one token: a principal, a refusal, or a bare HTTP status (a broker in trouble). */
export type AgentTokenAnswer = { readonly principal: AgentPrincipal } | { readonly refuse: BrokerErrorBody } | { readonly status: number };

/** What the broker answers a delegation: a grant (201), a refusal, or a bare HTTP status. */
export type DelegationAnswer = { readonly grant: DelegationResponse } | { readonly refuse: BrokerErrorBody } | { readonly status: number };

export interface FakeBrokerOptions {
  readonly config: SidecarConfig;
  readonly agentTokens?: (token: string) => AgentTokenAnswer;
  /** Answers POST BROKER_PATHS.delegations; absent: 404, as a broker without the route. */
  readonly delegations?: (request: DelegationRequest) => DelegationAnswer;
  /** By target name. */
  readonly credentials?: Readonly<Record<string, TargetCredentials>>;
}

export interface ReceivedCall {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface FakeBroker {
  /** For BrokerClient / startBrokerSidecar. */
  readonly client: BrokerClientOptions;
  /** Every call but the config stream, in order. */
  readonly calls: ReceivedCall[];
  /** Records stored per session id. */
  readonly recordings: Map<string, StoredRecord[]>;
  /** The calls to `path`. */
  callsTo(path: string): ReceivedCall[];
  close(): Promise<void>;
}

export async function startFakeBroker(options: FakeBrokerOptions): Promise<FakeBroker> {
  const now = Date.now();
  const ca = await createCertificateAuthority({ commonName: 'fake-broker', now, notAfter: now + 3_600_000 });
  const serving = await issueServingCertificate({
    ca,
    commonName: 'broker',
    dnsNames: [],
    ipAddresses: ['127.0.0.1'],
    now,
    notAfter: now + 3_600_000,
  });
  const dir = mkdtempSync(join(tmpdir(), 'airlock-fake-broker-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'the-pod-token');
  const calls: ReceivedCall[] = [];
  const recordings = new Map<string, StoredRecord[]>();
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (request, response) => {
    const path = request.url ?? '';
    const send = (status: number, body?: unknown) => {
      response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (request.method === 'GET' && path === BROKER_PATHS.config) {
      response.writeHead(200, { 'content-type': NDJSON_CONTENT_TYPE });
      response.write(`${JSON.stringify({ type: 'config', config: options.config })}\n`);
      return;
    }
    if (request.method === 'GET' && /^\/v1\/approvals\/[^/]+\/outcome$/.test(path)) {
      // Every held command is denied at once: a test sees what the hold sent, and the agent is answered.
      response.writeHead(200, { 'content-type': NDJSON_CONTENT_TYPE });
      response.end(
        `${JSON.stringify({ type: 'outcome', outcome: { phase: 'Denied', reviewer: 'reviewer', reason: 'denied by the fake broker' } })}\n`,
      );
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body: unknown = text === '' ? undefined : JSON.parse(text);
      calls.push({ method: request.method ?? '', path, body });
      const fields = (body ?? {}) as Record<string, unknown>;
      if (path === BROKER_PATHS.agentTokens) {
        const answer = options.agentTokens?.(String(fields.token)) ?? { status: 404 };
        if ('principal' in answer) return send(200, { principal: answer.principal });
        if ('refuse' in answer) return send(BROKER_ERROR_STATUS[answer.refuse.code], answer.refuse);
        return send(answer.status);
      }
      if (path === BROKER_PATHS.delegations) {
        const answer = options.delegations?.(fields as unknown as DelegationRequest) ?? { status: 404 };
        if ('grant' in answer) return send(201, answer.grant);
        if ('refuse' in answer) return send(BROKER_ERROR_STATUS[answer.refuse.code], answer.refuse);
        return send(answer.status);
      }
      if (path === BROKER_PATHS.credentials) {
        const credentials = options.credentials?.[String(fields.target)];
        return credentials ? send(200, credentials) : send(404, { code: 'NotFound', message: `no target ${String(fields.target)}` });
      }
      if (path === BROKER_PATHS.approvals)
        return send(201, { name: `held-${calls.length}`, namespace: options.config.targets[0]?.namespace });
      const recording = /^\/v1\/recordings\/([^/]+)(\/close)?$/.exec(path);
      if (recording?.[1] !== undefined) {
        const sessionId = decodeURIComponent(recording[1]);
        if (recording[2]) return send(204);
        const stored = recordings.get(sessionId) ?? [];
        stored.push(...((fields.records ?? []) as StoredRecord[]));
        recordings.set(sessionId, stored);
        return send(200, { storedThrough: stored.at(-1)?.seq ?? -1 });
      }
      send(404, { code: 'NotFound', message: `${path} is not a path of ${BROKER_API}` });
    });
  });
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    client: { url, caPem: ca.certPem, tokenFile },
    calls,
    recordings,
    callsTo: (path) => calls.filter((call) => call.path === path),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
