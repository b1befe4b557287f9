/**
 * The sidecar's own HTTP endpoint: GET /metrics (Prometheus), /healthz (liveness: answers while
 * the event loop turns) and /readyz (readiness: 503 with the reasons while not ready). GET and HEAD
 * only. In a pod it listens on the pod IP so the kubelet can probe it; the default is loopback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { listen } from './listen.ts';

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready: "config not received", "recording blocked for 2 sessions", ... */
  readonly reasons: readonly string[];
}

export interface HealthServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
  readonly logger: Logger;
}

export interface HealthServer {
  /** http://host:port, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const host = options.host ?? '127.0.0.1';
  const { logger } = options;
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      logger.error({ err: error, path: request.url }, 'health server request failed');
      if (!response.headersSent) send(request, response, 500, TEXT, 'internal error\n');
      else response.destroy();
    });
  });
  const port = await listen(server, options.port, host);
  server.on('error', (error) => logger.error({ err: error }, 'health server error'));
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.debug({ url }, 'health server listening');
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections (fetch keeps them) would hold close() open.
        server.closeAllConnections();
      }),
  };
}

async function handle(options: HealthServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://health').pathname;
  const route = ROUTES[path];
  if (route === undefined) return send(request, response, 404, TEXT, 'not found\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(request, response, 405, TEXT, 'method not allowed\n');
  }
  switch (route) {
    case 'metrics': {
      const body = await options.registry.metrics();
      return send(request, response, 200, options.registry.contentType, body);
    }
    case 'healthz':
      return send(request, response, 200, TEXT, 'ok\n');
    case 'readyz': {
      let readiness: Readiness;
      try {
        readiness = options.readiness();
      } catch (error) {
        options.logger.error({ err: error }, 'readiness check failed');
        readiness = { ready: false, reasons: [`readiness check failed: ${(error as Error).message}`] };
      }
      const body = `${JSON.stringify({ ready: readiness.ready, reasons: readiness.reasons })}\n`;
      return send(request, response, readiness.ready ? 200 : 503, JSON_TYPE, body);
    }
  }
}

const ROUTES: Readonly<Record<string, 'metrics' | 'healthz' | 'readyz' | undefined>> = {
  '/metrics': 'metrics',
  '/healthz': 'healthz',
  '/readyz': 'readyz',
};

function send(request: IncomingMessage, response: ServerResponse, status: number, contentType: string, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}
