/**
 * The only way the operator talks to an OIDC issuer: HTTPS GET, trusting the system roots plus the
 * identity's `oidc.caBundle` (an in-house issuer), bounded in time and size, no redirects. Used for
 * discovery (as openid-client's customFetch) and for the key set.
 *
 * Why not the global fetch: its TLS trust cannot be extended per request, and a discovery document
 * or key set that never ends, or a server that never answers, must not hold a verification open.
 * It returns a WHATWG Response because openid-client checks for one.
 */
import { getCACertificates } from 'node:tls';
import { Agent, request } from 'undici';

/** Discovery documents and key sets are a few KiB; anything near this is not one. */
export const MAX_ISSUER_RESPONSE_BYTES = 512 * 1024;

export interface IssuerFetchOptions {
  /** PEM CAs trusted on top of the system roots. */
  readonly caBundle?: string;
  readonly timeoutMs: number;
  readonly maxBodyBytes?: number;
}

/** A fetch-shaped function (the subset openid-client and the key set use) that owns its connection pool. */
export interface IssuerFetch {
  (url: string, init?: { readonly headers?: Readonly<Record<string, string>>; readonly signal?: AbortSignal | null }): Promise<Response>;
  close(): Promise<void>;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export function createIssuerFetch(options: IssuerFetchOptions): IssuerFetch {
  const { timeoutMs } = options;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_ISSUER_RESPONSE_BYTES;
  // `ca` replaces the default roots, so the bundle is added to them rather than set alone.
  const ca = options.caBundle ? [...getCACertificates('default'), options.caBundle] : undefined;
  const agent = new Agent({
    connect: { ...(ca ? { ca } : {}), timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  const issuerFetch = async (url: string, init: Parameters<IssuerFetch>[1] = {}): Promise<Response> => {
    const target = new URL(url);
    if (target.protocol !== 'https:')
      throw new Error(`${target.origin} is not HTTPS: an issuer's discovery and keys are fetched over HTTPS only`);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const response = await request(target, {
      dispatcher: agent,
      method: 'GET',
      headers: { accept: 'application/json', ...init.headers },
      signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBodyBytes) {
        response.body.destroy();
        throw new Error(
          `${target.origin}${target.pathname} answered with more than ${maxBodyBytes} bytes; that is no discovery document or key set`,
        );
      }
      chunks.push(chunk);
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
    }
    const body = NULL_BODY_STATUSES.has(response.statusCode) ? null : Buffer.concat(chunks);
    return new Response(body, { status: response.statusCode, headers });
  };
  return Object.assign(issuerFetch, { close: () => agent.close() });
}
