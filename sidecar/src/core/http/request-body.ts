/**
 * Reads an agent's request body whole, within a size and a time bound, before anything goes
 * upstream: the decision (policy, approval digest) is taken on the exact bytes that are then sent,
 * and a client cannot make the sidecar buffer more than `maxBytes` or hold a request open forever.
 */
import type { IncomingMessage } from 'node:http';

export type HttpBodyErrorCode = 'BodyTooLarge' | 'BodyIncomplete' | 'BodyTimeout';

export class HttpBodyError extends Error {
  readonly code: HttpBodyErrorCode;
  constructor(code: HttpBodyErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpBodyError';
    this.code = code;
  }
}

/**
 * The whole body, or HttpBodyError. Refuses at once when Content-Length exceeds maxBytes (without
 * reading), and as soon as a chunked body passes it. After a refusal the rest of the body is
 * discarded as it arrives (never buffered); answer with `Connection: close` so the connection ends.
 */
export function readRequestBody(
  request: IncomingMessage,
  limits: { readonly maxBytes: number; readonly timeoutMs: number },
): Promise<Buffer> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxBytes) {
    return Promise.reject(tooLarge(`declares ${declared} bytes`, limits.maxBytes));
  }
  if (request.complete && request.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(
      () => fail(new HttpBodyError('BodyTimeout', `the request body did not arrive within ${limits.timeoutMs} ms; send it at once`)),
      limits.timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.maxBytes) {
        fail(tooLarge(`is over ${received - chunk.length} bytes already`, limits.maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, received));
    };
    const onError = (error: Error): void =>
      fail(new HttpBodyError('BodyIncomplete', `the request body ended early: ${error.message}`, { cause: error }));
    const onClose = (): void => {
      if (!request.complete) fail(new HttpBodyError('BodyIncomplete', 'the connection closed before the request body was complete'));
    };
    function cleanup(): void {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    }
    function fail(error: HttpBodyError): void {
      cleanup();
      // Whatever still comes is discarded, never buffered; the caller's answer closes the connection.
      request.on('error', () => undefined);
      request.resume();
      reject(error);
    }
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onError);
    request.once('close', onClose);
  });
}

function tooLarge(what: string, maxBytes: number): HttpBodyError {
  return new HttpBodyError('BodyTooLarge', `the request body ${what}; at most ${maxBytes} bytes are accepted (limits.maxRequestBodyBytes)`);
}
