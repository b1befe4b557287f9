/**
 * An answer that may hold something to mask and is not a watch: read whole (bounded), masked, and
 * only then sent, with the upstream's status and headers (core/http sendReplacedBody). Nothing of
 * it reaches the agent before it is masked, so an answer the masker refuses becomes the caller's
 * error Status instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendReplacedBody } from '../../../core/http/response-relay.ts';
import { KubernetesMaskingError, type KubernetesResponseMasking, type MaskCounts } from '../masking/response-masking.ts';

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
  await sendReplacedBody(upstream, response, masked.body, { warnings: options.warnings });
  return { statusCode, bytes: masked.body.length, complete: true, counts: masked.counts };
}
