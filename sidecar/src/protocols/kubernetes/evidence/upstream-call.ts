/**
 * One call to the API server, read the way the evidence needs it: a JSON object the server
 * accepted, a refusal with the server's own Status message, or no usable answer at all (network,
 * time budget, an answer too large or not JSON). Keeping "refused" apart from "failed" matters:
 * a refusal predicts that the real request fails too, a failure only means there is no preview.
 */
import type { EvidenceUpstream, EvidenceUpstreamRequest } from './evidence-upstream.ts';
import { MAX_EVIDENCE_RESPONSE_BYTES } from './evidence-upstream.ts';

/** A decoded JSON object from the API server. */
export type KubeObject = Readonly<Record<string, unknown>>;

export type UpstreamAnswer =
  | { readonly kind: 'object'; readonly status: number; readonly object: KubeObject }
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

export const JSON_MEDIA_TYPE = 'application/json';
export const PARTIAL_METADATA_LIST_MEDIA_TYPE = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io';

export async function callUpstream(upstream: EvidenceUpstream, input: EvidenceUpstreamRequest): Promise<UpstreamAnswer> {
  if (input.signal.aborted) return { kind: 'failed', message: abortMessage(input.signal) };
  let response: Awaited<ReturnType<EvidenceUpstream['request']>>;
  try {
    response = await upstream.request(input.accept === undefined ? { ...input, accept: JSON_MEDIA_TYPE } : input);
  } catch (error) {
    return { kind: 'failed', message: input.signal.aborted ? abortMessage(input.signal) : `no answer: ${errorText(error)}` };
  }
  if (response.body.length > MAX_EVIDENCE_RESPONSE_BYTES) {
    return { kind: 'failed', message: `the answer was larger than ${MAX_EVIDENCE_RESPONSE_BYTES / 1024 / 1024} MiB and was not read` };
  }
  const decoded = decodeJson(response.body);
  if (response.status < 200 || response.status > 299) {
    return { kind: 'refused', status: response.status, ...statusText(response.status, decoded, response.body) };
  }
  if (!isObject(decoded)) return { kind: 'failed', message: `the answer (HTTP ${response.status}) was not a JSON object` };
  return { kind: 'object', status: response.status, object: decoded };
}

/** The reason and message of a Kubernetes Status, or what the body starts with when it is none. */
function statusText(status: number, decoded: unknown, body: Buffer): { reason: string; message: string } {
  if (isObject(decoded) && decoded.kind === 'Status') {
    const reason = typeof decoded.reason === 'string' && decoded.reason !== '' ? decoded.reason : `HTTP ${status}`;
    const message = typeof decoded.message === 'string' && decoded.message !== '' ? decoded.message : reason;
    return { reason, message };
  }
  const start = body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim();
  return { reason: `HTTP ${status}`, message: start === '' ? `HTTP ${status}` : `HTTP ${status}: ${start}` };
}

function decodeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function abortMessage(signal: AbortSignal): string {
  return signal.reason instanceof Error && signal.reason.message !== '' ? signal.reason.message : 'the time for evidence ran out';
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field of an object, '' when absent. */
export function stringField(object: unknown, ...keys: readonly string[]): string {
  let value: unknown = object;
  for (const key of keys) value = isObject(value) ? value[key] : undefined;
  return typeof value === 'string' ? value : '';
}
