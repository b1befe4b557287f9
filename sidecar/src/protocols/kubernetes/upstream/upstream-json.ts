/**
 * One request of the sidecar's own upstream (discovery, the dry runs of evidence): the whole
 * answer read into memory, bounded, with the sidecar's credential. Never used for the agent's
 * requests, whose answers stream (request-pipeline.ts).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { UpstreamHttpClient } from '../../../core/http/upstream-client.ts';

/** The sidecar's own requests read small answers: discovery documents, single objects, metadata lists. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export interface UpstreamAnswer {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

export class UpstreamAnswerTooLarge extends Error {
  readonly code = 'UpstreamAnswerTooLarge';
  constructor(path: string) {
    super(`the API server's answer to ${path} is over ${MAX_ANSWER_BYTES} bytes`);
    this.name = 'UpstreamAnswerTooLarge';
  }
}

export async function upstreamRequest(
  client: UpstreamHttpClient,
  input: {
    readonly method: string;
    readonly path: string;
    readonly body?: Buffer;
    readonly headers?: OutgoingHttpHeaders;
    readonly signal?: AbortSignal;
  },
): Promise<UpstreamAnswer> {
  const headers: OutgoingHttpHeaders = { accept: 'application/json', ...input.headers };
  if (input.body) headers['content-length'] = input.body.length;
  const response = await client.request({
    method: input.method,
    path: input.path,
    headers,
    ...(input.body ? { body: input.body } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      response.destroy();
      throw new UpstreamAnswerTooLarge(input.path);
    }
    chunks.push(chunk as Buffer);
  }
  const contentType = response.headers['content-type'];
  return { status: response.statusCode ?? 0, body: Buffer.concat(chunks), contentType };
}
