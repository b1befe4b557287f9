/**
 * An answer that may hold something to mask and is not a watch: read whole (bounded), masked, and
 * only then sent, with the upstream's status and headers (less those about the old body: its
 * length, its encoding). Nothing of it reaches the agent before it is masked, so an answer the
 * masker refuses becomes the caller's error Status instead.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { warningHeader } from '../../../core/http/response-relay.ts';
import { KubernetesMaskingError, type KubernetesResponseMasking, type MaskCounts } from '../masking/response-masking.ts';

/** Headers of the upstream answer that describe its connection or its old body, not the masked one. */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'te',
  'content-length',
  'content-encoding',
]);

export interface MaskedAnswer {
  readonly statusCode: number;
  readonly bytes: number;
  readonly complete: boolean;
  readonly counts: MaskCounts;
}

export async function sendMaskedAnswer(
  upstream: IncomingMessage,
  response: ServerResponse,
  masking: KubernetesResponseMasking,
  options: { readonly maxBytes: number; readonly warnings: readonly string[] },
): Promise<MaskedAnswer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of upstream) {
    size += (chunk as Buffer).length;
    if (size > options.maxBytes) {
      upstream.destroy();
      throw new KubernetesMaskingError(
        'BodyTooLarge',
        `the answer is over ${options.maxBytes} bytes; page the list (kubectl does, with --chunk-size)`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  const statusCode = upstream.statusCode ?? 502;
  const masked =
    statusCode === 204 || size === 0
      ? { body: Buffer.alloc(0), counts: {} }
      : masking.maskBody(Buffer.concat(chunks), upstream.headers['content-type']);
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value !== undefined && !DROPPED.has(name)) headers[name] = value;
  }
  const warnings = [...toArray(upstream.headers.warning), ...options.warnings.map(warningHeader)];
  headers['content-length'] = masked.body.length;
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) response.setHeader(name, value);
  if (warnings.length > 0) response.setHeader('warning', warnings);
  response.writeHead(statusCode);
  await new Promise<void>((resolve) => response.end(masked.body, resolve));
  return { statusCode, bytes: masked.body.length, complete: true, counts: masked.counts };
}

function toArray(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
