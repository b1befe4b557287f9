/** Reading request bodies and writing answers in the broker protocol's shape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AgentTokenRefusal, BROKER_ERROR_STATUS, type BrokerErrorBody, type BrokerErrorCode } from '@airlock/contracts/broker';

/** A refusal the broker sends as `{ code, message }` (and `reason` for AgentTokenRefused) with the code's status. */
export class BrokerHttpError extends Error {
  readonly code: BrokerErrorCode;
  /** Which check refused an agent's token; only with AgentTokenRefused. */
  readonly reason: AgentTokenRefusal | undefined;
  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown; reason?: AgentTokenRefusal }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BrokerHttpError';
    this.code = code;
    this.reason = options?.reason;
  }

  get status(): number {
    return BROKER_ERROR_STATUS[this.code];
  }
}

/** Reads and parses a JSON body of at most `limit` bytes (413 TooLarge beyond, 400 Invalid when not JSON). */
export async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BrokerHttpError('Invalid', `the body is not JSON: ${(error as Error).message}`);
  }
}

const tooLarge = (limit: number) => new BrokerHttpError('TooLarge', `the body is over ${limit} bytes; send smaller batches`);

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export function sendNoContent(response: ServerResponse): void {
  response.writeHead(204);
  response.end();
}

export function sendError(response: ServerResponse, error: BrokerHttpError): void {
  const body: BrokerErrorBody = { code: error.code, message: error.message, ...(error.reason ? { reason: error.reason } : {}) };
  sendJson(response, error.status, body);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
