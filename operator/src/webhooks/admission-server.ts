/**
 * The HTTPS endpoint the API server calls: POST /mutate-pods (injection of labeled pods), POST
 * /mutate-namespace-pods (injection in CI-mode namespaces: the path says the mode), POST
 * /validate-pods (invariant 6), POST /validate-pods-connect (no exec or attach into the sidecar),
 * GET /healthz. It decodes AdmissionReviews, asks the pure decision functions, and answers; a request it cannot read gets a 4xx with the reason, a failure inside a
 * decision is a denial (fail closed) — the process never goes down for a bad request. The
 * certificate is taken from a TlsSource and swapped in place when it rotates.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { WEBHOOK_PATHS } from '@airlock/contracts/install';
import { listen } from '@airlock/runtime';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Catalog } from '../catalog.ts';
import type { TlsSource } from '../tls/tls-source.ts';
import { type AdmissionRequest, type AdmissionResponse, allow, decodeReview, deny } from './admission-review.ts';
import type { InjectionSettings } from './injection-settings.ts';
import type { JsonPatchOp } from './json-patch.ts';
import { planInjection } from './plan-injection.ts';
import { validateConnect } from './validate-connect.ts';
import { validatePod } from './validate-pod.ts';
import { type WebhookName, webhookMetrics } from './webhook-metrics.ts';

export { WEBHOOK_PATHS };

const WEBHOOKS: ReadonlyMap<string, WebhookName> = new Map<string, WebhookName>([
  [WEBHOOK_PATHS.mutate, 'mutate-pods'],
  [WEBHOOK_PATHS.mutateNamespace, 'mutate-namespace-pods'],
  [WEBHOOK_PATHS.validate, 'validate-pods'],
  [WEBHOOK_PATHS.validateConnect, 'validate-pods-connect'],
]);

/** The API server sends at most 3 MiB objects (etcd's limit is 1.5 MiB, plus the old object). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface AdmissionServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls: TlsSource;
  readonly catalog: Catalog;
  /**
   * A function is read on every request: pass `() => ({ ...base, brokerCAPem: certificates.current().caPem })`
   * so pods created after a CA rotation trust the new CA without an operator restart.
   */
  readonly settings: InjectionSettings | (() => InjectionSettings);
  readonly registry: Registry;
  readonly logger: Logger;
}

export interface AdmissionServer {
  readonly port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const { logger, tls } = options;
  const metrics = webhookMetrics(options.registry);
  const settings = typeof options.settings === 'function' ? options.settings : () => options.settings as InjectionSettings;
  const initial = tls.current();
  const server = createServer({ cert: initial.certPem, key: initial.keyPem, minVersion: 'TLSv1.2' }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error, path: request.url }, 'admission request failed');
      if (!response.headersSent) sendText(response, 500, 'internal error\n');
      else response.destroy();
    });
  });
  // Bound the time a slow or stuck client can hold a connection; the API server's own timeout is 10 s.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  server.on('clientError', (error, socket) => {
    logger.debug({ err: error }, 'admission client error');
    socket.destroy();
  });
  server.on('tlsClientError', (error) => logger.debug({ err: error }, 'admission TLS handshake failed'));
  const unsubscribe = tls.onChange((material) => {
    server.setSecureContext({ cert: material.certPem, key: material.keyPem, minVersion: 'TLSv1.2' });
    logger.info('admission server: serving the renewed certificate');
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'https://webhook').pathname;
    if (path === WEBHOOK_PATHS.healthz) {
      sendText(response, 200, 'ok\n');
      return;
    }
    const webhook = WEBHOOKS.get(path);
    if (!webhook) {
      sendText(response, 404, `no webhook at ${path}: use ${[...WEBHOOKS.keys()].join(', ')}\n`);
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendText(response, 405, `${path} takes POST with an AdmissionReview\n`);
      return;
    }
    const stopTimer = metrics.duration.startTimer({ webhook });
    try {
      let body: string;
      try {
        body = await readBody(request);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        response.setHeader('connection', 'close');
        sendText(response, error.status, `${error.message}\n`);
        return;
      }
      const decoded = decodeReview(body);
      if (!decoded.ok) {
        logger.warn({ webhook, reason: decoded.message }, 'malformed AdmissionReview');
        sendText(response, 400, `${decoded.message}\n`);
        return;
      }
      const { review, rejectedWith } = answer(webhook, decoded.request);
      if (rejectedWith) metrics.rejections.inc({ webhook, code: rejectedWith });
      sendJson(response, review);
    } finally {
      stopTimer();
    }
  }

  function answer(webhook: WebhookName, request: AdmissionRequest): { review: AdmissionResponse; rejectedWith?: string } {
    const allowed = (patch?: readonly JsonPatchOp[]) => ({ review: allow(request.uid, patch) });
    const denied = (code: string, message: string, status?: number) => ({
      review: deny(request.uid, code, message, status),
      rejectedWith: code,
    });
    const pod = request.object.metadata?.name || request.object.metadata?.generateName || request.name || '';
    const context = { webhook, namespace: request.namespace, pod, operation: request.operation, user: request.userInfo?.username };
    try {
      if (request.resource.resource !== 'pods') return allowed();
      if (webhook === 'validate-pods-connect') {
        if (request.operation !== 'CONNECT' || !request.connectOptions) return allowed();
        const connect = request.connectOptions;
        const verdict = validateConnect(
          { subResource: request.subResource ?? '', namespace: request.namespace, name: request.name ?? '', options: connect },
          { operatorNamespace: settings().operatorNamespace },
        );
        const connection = { ...context, subResource: request.subResource, container: connect.container, command: connect.command };
        if (verdict.allowed) {
          logger.debug(connection, 'connection to a pod allowed');
          return allowed();
        }
        logger.info({ ...connection, code: verdict.code, reason: verdict.message }, 'rejected a connection to a pod');
        return denied(verdict.code, verdict.message);
      }
      if (webhook !== 'validate-pods') {
        if (request.operation !== 'CREATE' || request.subResource) return allowed();
        const mode = webhook === 'mutate-namespace-pods' ? 'namespace' : 'pod';
        const plan = planInjection(request.object, request.namespace, options.catalog, settings(), mode);
        switch (plan.kind) {
          case 'patch':
            logger.info({ ...context, identity: plan.record.identity, targets: plan.record.targets }, 'injecting the airlock sidecar');
            return allowed(plan.patch);
          case 'deny':
            logger.info({ ...context, code: plan.code, reason: plan.message }, 'refused to inject');
            return denied(plan.code, plan.message);
          case 'skip':
            logger.debug({ ...context, reason: plan.reason }, 'not injecting');
            return allowed();
          case 'unchanged':
            return allowed();
        }
      }
      const verdict = validatePod(
        {
          operation: request.operation,
          namespace: request.namespace,
          object: request.object,
          ...(request.subResource ? { subResource: request.subResource } : {}),
          ...(request.oldObject ? { oldObject: request.oldObject } : {}),
        },
        { catalog: options.catalog, operatorNamespace: settings().operatorNamespace },
      );
      if (verdict.allowed) return allowed();
      logger.info({ ...context, subResource: request.subResource, code: verdict.code, reason: verdict.message }, 'rejected pod');
      return denied(verdict.code, verdict.message);
    } catch (error) {
      // Fail closed: a decision that throws is a denial, never an accidental allow.
      logger.error({ ...context, err: error }, 'admission decision failed');
      return denied('InternalError', 'the airlock webhook failed to decide; see the operator logs', 500);
    }
  }

  const port = await listen(server, options.port, options.host);
  server.on('error', (error) => logger.error({ err: error }, 'admission server error'));
  logger.info({ host: options.host, port }, 'admission webhooks listening');
  let closed: Promise<void> | undefined;
  return {
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        unsubscribe();
        server.close(() => resolve());
        // The API server keeps connections alive; without this, close() waits for them to idle out.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    request.resume();
    return Promise.reject(new HttpError(413, `the body is ${declared} bytes; the limit is ${MAX_BODY_BYTES}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    request.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        chunks.length = 0;
        reject(new HttpError(413, `the body is over the ${MAX_BODY_BYTES}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', (error) => {
      if (!failed) {
        failed = true;
        reject(error);
      }
    });
  });
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendJson(response: ServerResponse, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
