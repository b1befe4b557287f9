/**
 * The agent's side for tests: one request to the sidecar's listener with node:http, read to the
 * end or to the break, so a test sees what a client library would — the status, the body, and
 * whether the body arrived whole (`complete` is node's own verdict on the framing: a body cut
 * short is never reported complete).
 */
import { type IncomingHttpHeaders, request } from 'node:http';

export interface AgentAnswer {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly complete: boolean;
  /** Why the answer broke off, when it did. */
  readonly error?: Error;
}

export interface AgentRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string | number>>;
  readonly body?: string | Buffer;
  readonly signal?: AbortSignal;
}

/** Rejects only when no answer head came at all (the connection refused or reset before it). */
export function agentRequest(port: number, input: AgentRequest): Promise<AgentAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: input.method ?? 'GET',
        path: input.path,
        // A body always goes with its length: node frames a DELETE body without one, which is not valid HTTP/1.1.
        headers: {
          accept: 'application/json',
          ...(input.body === undefined ? {} : { 'content-length': Buffer.byteLength(input.body) }),
          ...input.headers,
        },
        agent: false,
        ...(input.signal ? { signal: input.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let error: Error | undefined;
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (cause) => (error = cause));
        res.on('close', () =>
          resolve({
            statusCode: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            complete: res.complete,
            ...(error ? { error } : {}),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(input.body);
  });
}

/** The body as JSON (an API object or a Status). */
// biome-ignore lint/suspicious/noExplicitAny: API objects are read freely; a wrong path fails the assertion that reads it
export function json(answer: AgentAnswer): any {
  return JSON.parse(answer.body.toString('utf8'));
}
