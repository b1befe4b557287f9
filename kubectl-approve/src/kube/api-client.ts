/**
 * A small Kubernetes REST client: JSON requests and watch streams over node:https, with the
 * kubeconfig's TLS and credentials applied by @kubernetes/client-node (tokens, client
 * certificates, exec plugins, OIDC). Errors keep the API server's Status, because its message is
 * what a reviewer must see when the admission policy refuses a review.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApproveError } from '../errors.ts';

/** A non-2xx answer, with the Status the API server sent. */
export class ApiStatusError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly details: unknown;
  constructor(status: number, reason: string, message: string, details: unknown) {
    super(message);
    this.name = 'ApiStatusError';
    this.status = status;
    this.reason = reason;
    this.details = details;
  }
}

export interface WatchEventBody<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

export interface ApiClientOptions {
  /** Told about every request, for -v. */
  readonly log?: (line: string) => void;
  /** One request's limit; default 30 s. */
  readonly timeoutMs?: number;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

const DEFAULT_TIMEOUT_MS = 30_000;
/** Above the watch's server-side timeoutSeconds (600), so a quiet watch is ended by the server, cleanly (ADR 0003). */
const WATCH_INACTIVITY_MS = 630_000;

export class ApiClient {
  readonly server: string;
  readonly #kubeConfig: KubeConfig;
  readonly #log: (line: string) => void;
  readonly #timeoutMs: number;

  constructor(kubeConfig: KubeConfig, options: ApiClientOptions = {}) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new ApproveError('Unreachable', 'the kubeconfig has no current cluster: set KUBECONFIG, --kubeconfig or --context');
    this.server = cluster.server.replace(/\/$/, '');
    this.#kubeConfig = kubeConfig;
    this.#log = options.log ?? (() => {});
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  /** A JSON patch (RFC 6902). */
  jsonPatch<T>(path: string, operations: readonly object[]): Promise<T> {
    return this.request<T>('PATCH', path, { body: operations, contentType: 'application/json-patch+json' });
  }

  async request<T>(method: string, path: string, options: { query?: Query; body?: unknown; contentType?: string } = {}): Promise<T> {
    const url = this.#url(path, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const started = performance.now();
    const response = await this.#send(method, url, {
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
      },
      body,
      timeoutMs: this.#timeoutMs,
    });
    const text = await readAll(response);
    this.#log(`${method} ${url} ${response.statusCode} in ${Math.round(performance.now() - started)}ms`);
    const parsed = parseJson(text);
    if ((response.statusCode ?? 0) >= 300) throw statusError(response.statusCode ?? 0, parsed, text, this.server);
    return parsed as T;
  }

  /**
   * Opens a watch and calls `onEvent` for each event until the server ends it (resolves) or it
   * fails (rejects: ApiStatusError with status 410 when the resourceVersion is too old).
   */
  async watch<T>(path: string, query: Query, onEvent: (event: WatchEventBody<T>) => void, signal?: AbortSignal): Promise<void> {
    const url = this.#url(path, { ...query, watch: true });
    const started = performance.now();
    const response = await this.#send('GET', url, { headers: { accept: 'application/json' }, timeoutMs: WATCH_INACTIVITY_MS, signal });
    this.#log(`GET ${url} ${response.statusCode} in ${Math.round(performance.now() - started)}ms (watch)`);
    if ((response.statusCode ?? 0) >= 300) {
      const text = await readAll(response);
      throw statusError(response.statusCode ?? 0, parseJson(text), text, this.server);
    }
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline !== -1) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (line === '') continue;
          let event: WatchEventBody<T>;
          try {
            event = JSON.parse(line) as WatchEventBody<T>;
          } catch (error) {
            response.destroy();
            reject(new ApproveError('Internal', `the watch sent a line that is not JSON: ${line.slice(0, 200)}`, { cause: error }));
            return;
          }
          if (event.type === 'ERROR') {
            const status = event.object as { code?: number; reason?: string; message?: string };
            response.destroy();
            reject(new ApiStatusError(status.code ?? 500, status.reason ?? 'Unknown', status.message ?? 'watch error', status));
            return;
          }
          try {
            onEvent(event);
          } catch (error) {
            response.destroy();
            reject(error);
            return;
          }
        }
      });
      response.on('end', () => resolve());
      response.on('error', (error) => (signal?.aborted ? resolve() : reject(error)));
      response.on('close', () => resolve());
    });
  }

  #url(path: string, query: Query = {}): string {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  async #send(
    method: string,
    url: string,
    options: { headers: Record<string, string>; body?: string | undefined; timeoutMs: number; signal?: AbortSignal | undefined },
  ): Promise<IncomingMessage> {
    const requestOptions: RequestOptions & { headers: Record<string, string> } = { method, headers: { ...options.headers } };
    try {
      // Sets ca, cert, key, the Authorization header (running an exec plugin if the kubeconfig has one) and an agent.
      await this.#kubeConfig.applyToHTTPSOptions(requestOptions as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
    } catch (error) {
      throw new ApproveError('Unreachable', `cannot get credentials from the kubeconfig: ${(error as Error).message}`, { cause: error });
    }
    const send = url.startsWith('http:') ? httpRequest : httpsRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { ...requestOptions, ...(options.signal ? { signal: options.signal } : {}) }, resolve);
      req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer within ${Math.round(options.timeoutMs / 1000)}s`)));
      req.on('error', (error) => {
        if (options.signal?.aborted) reject(error);
        else reject(new ApproveError('Unreachable', `cannot reach the API server at ${this.server}: ${error.message}`, { cause: error }));
      });
      if (options.body !== undefined) req.end(options.body);
      else req.end();
    });
  }
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
    response.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function statusError(code: number, parsed: unknown, text: string, server: string): Error {
  const status = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { reason?: string; message?: string };
  if (code === 401) {
    return new ApproveError(
      'Unreachable',
      `the API server at ${server} does not accept your credentials (401 Unauthorized): log in again, or check --context and --kubeconfig`,
    );
  }
  return new ApiStatusError(code, status.reason ?? String(code), status.message ?? (text || `HTTP ${code}`), parsed);
}
