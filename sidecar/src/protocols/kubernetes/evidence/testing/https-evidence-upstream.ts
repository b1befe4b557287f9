/**
 * An EvidenceUpstream for tests: node:https straight to a test API server with a bearer token,
 * the way the protocol's upstream client reaches the real one. It records every request it
 * sends, so a test can tell that no dry run went out, or that one did.
 */
import { Agent, request } from 'node:https';
import {
  type EvidenceUpstream,
  type EvidenceUpstreamRequest,
  type EvidenceUpstreamResponse,
  MAX_EVIDENCE_RESPONSE_BYTES,
} from '../evidence-upstream.ts';

export interface SentRequest {
  readonly method: string;
  readonly path: string;
  readonly accept: string | undefined;
}

export class HttpsEvidenceUpstream implements EvidenceUpstream {
  readonly sent: SentRequest[] = [];
  readonly #server: URL;
  readonly #token: string;
  readonly #agent: Agent;

  constructor(options: { readonly server: string; readonly caPem: string; readonly token: string }) {
    this.#server = new URL(options.server);
    this.#token = options.token;
    this.#agent = new Agent({ ca: options.caPem, keepAlive: true });
  }

  request(input: EvidenceUpstreamRequest): Promise<EvidenceUpstreamResponse> {
    this.sent.push({ method: input.method, path: input.path, accept: input.accept });
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: input.accept ?? 'application/json' };
      if (input.contentType !== undefined) headers['content-type'] = input.contentType;
      if (input.body !== undefined) headers['content-length'] = String(input.body.length);
      const req = request(
        new URL(input.path, this.#server),
        { method: input.method, agent: this.#agent, headers, signal: input.signal },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_EVIDENCE_RESPONSE_BYTES) {
              res.destroy();
              reject(new Error(`the answer is larger than ${MAX_EVIDENCE_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), contentType: res.headers['content-type'] }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(input.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
