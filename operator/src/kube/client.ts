/**
 * A small REST client over @kubernetes/client-node's authentication and TLS: JSON in, JSON out,
 * any path, any patch type. The generated typed clients make merge patches of custom-resource
 * status awkward and hide the Status body of errors; controllers need both.
 */
import { HttpMethod, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import { type Dispatcher, fetch } from 'undici';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** The API server refused a request. `reason` is the Status reason (NotFound, Conflict, Invalid...). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly body: unknown;
  constructor(status: number, reason: string, message: string, body: unknown) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.body = body;
  }
}

export const isNotFound = (error: unknown): boolean => error instanceof KubeApiError && error.status === 404;
export const isConflict = (error: unknown): boolean => error instanceof KubeApiError && error.status === 409;
export const isAlreadyExists = (error: unknown): boolean => error instanceof KubeApiError && error.reason === 'AlreadyExists';
export const isGone = (error: unknown): boolean => error instanceof KubeApiError && error.status === 410;

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly patchType?: PatchType;
  readonly signal?: AbortSignal;
  /** Field manager for writes; defaults to the client's. */
  readonly fieldManager?: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
}

export interface KubeList<T> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export interface KubeClientOptions {
  /** Field manager for writes (server-side apply and managedFields); default airlock-operator. */
  readonly fieldManager?: string;
  /** Upper bound for one request, so a half-dead API server cannot hang a caller; default 30 s. */
  readonly requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly fieldManager: string;
  readonly server: string;
  readonly #requestTimeoutMs: number;
  /**
   * client-node builds a new connection pool for every request it authenticates; one pool per
   * client keeps connections alive between requests instead of a TLS handshake each time.
   * Headers (tokens, which rotate) are still taken per request.
   */
  #dispatcher: Dispatcher | undefined;

  constructor(kubeConfig: KubeConfig, options: KubeClientOptions = {}) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.kubeConfig = kubeConfig;
    this.server = cluster.server.replace(/\/$/, '');
    this.fieldManager = options.fieldManager ?? 'airlock-operator';
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Closes the pooled connections; later requests open new ones. */
  async close(): Promise<void> {
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    await dispatcher?.close();
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    if (method !== 'GET' && method !== 'DELETE') url.searchParams.set('fieldManager', options.fieldManager ?? this.fieldManager);
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = { ...ctx.getHeaders(), accept: 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = method === 'PATCH' ? PATCH_CONTENT_TYPE[options.patchType ?? 'merge'] : 'application/json';
      body = JSON.stringify(options.body);
    }
    this.#dispatcher ??= ctx.getDispatcher() as Dispatcher | undefined;
    const timeout = AbortSignal.timeout(this.#requestTimeoutMs);
    const response = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the error
    }
    if (!response.ok) {
      const status = parsed as { reason?: string; message?: string } | undefined;
      throw new KubeApiError(
        response.status,
        (typeof status === 'object' && status?.reason) || String(response.status),
        `${method} ${path}: ${(typeof status === 'object' && status?.message) || text || response.statusText}`,
        parsed,
      );
    }
    return parsed as T;
  }

  get<T extends KubeObject>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, signal ? { signal } : {});
  }

  list<T extends KubeObject>(path: string, query: RequestOptions['query'] = {}, signal?: AbortSignal): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', path, { query, ...(signal ? { signal } : {}) });
  }

  create<T extends KubeObject>(path: string, body: T, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', path, { body, ...(signal ? { signal } : {}) });
  }

  /** PUT: replaces the object; with metadata.resourceVersion set, only if nobody changed it since. */
  replace<T extends KubeObject>(path: string, body: T, signal?: AbortSignal): Promise<T> {
    return this.request<T>('PUT', path, { body, ...(signal ? { signal } : {}) });
  }

  patch<T extends KubeObject>(path: string, body: unknown, patchType: PatchType = 'merge', signal?: AbortSignal): Promise<T> {
    return this.request<T>('PATCH', path, { body, patchType, ...(signal ? { signal } : {}) });
  }

  delete(path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    return this.request('DELETE', path, { ...(body === undefined ? {} : { body }), ...(signal ? { signal } : {}) });
  }
}

/** REST paths of the kinds the operator works with. */
export interface ResourceKind {
  readonly group: string; // '' for core
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export function collectionPath(kind: ResourceKind, namespace?: string): string {
  const base = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  return kind.namespaced && namespace ? `${base}/namespaces/${namespace}/${kind.plural}` : `${base}/${kind.plural}`;
}

export function objectPath(kind: ResourceKind, namespace: string | undefined, name: string, subresource?: string): string {
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}
