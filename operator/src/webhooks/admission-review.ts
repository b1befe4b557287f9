/**
 * AdmissionReview v1 in and out: decoding checks only what the webhooks rely on and says what is
 * wrong; encoding builds the response the API server expects (JSONPatch base64-encoded).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { JsonPatchOp } from './json-patch.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/**
 * For CONNECT the API server sends, as `object`, the connection's options (PodExecOptions for
 * pods/exec, PodAttachOptions for pods/attach), not the pod; only what the webhooks read is kept.
 */
export interface ConnectOptions {
  /** `request.kind.kind`: PodExecOptions, PodAttachOptions. */
  readonly kind: string;
  /** The container asked for; empty when the client named none. */
  readonly container: string;
  /** pods/exec only. */
  readonly command?: readonly string[];
}

export interface AdmissionRequest {
  readonly uid: string;
  readonly operation: string;
  readonly resource: { readonly group: string; readonly version: string; readonly resource: string };
  readonly subResource?: string;
  readonly namespace: string;
  readonly name?: string;
  /** The pod; empty for DELETE and CONNECT. */
  readonly object: V1Pod;
  /** CONNECT only. */
  readonly connectOptions?: ConnectOptions;
  readonly oldObject?: V1Pod;
  readonly dryRun?: boolean;
  readonly userInfo?: { readonly username?: string };
}

export type DecodedReview = { readonly ok: true; readonly request: AdmissionRequest } | { readonly ok: false; readonly message: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function decodeReview(body: string): DecodedReview {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch (error) {
    return { ok: false, message: `the body is not JSON (${(error as Error).message}): send an AdmissionReview` };
  }
  if (!isObject(review) || review.apiVersion !== ADMISSION_API_VERSION || review.kind !== 'AdmissionReview') {
    return { ok: false, message: `expected an AdmissionReview of apiVersion ${ADMISSION_API_VERSION}` };
  }
  const request = review.request;
  if (!isObject(request)) return { ok: false, message: 'the AdmissionReview has no request' };
  if (typeof request.uid !== 'string' || request.uid === '') return { ok: false, message: 'request.uid must be a non-empty string' };
  if (typeof request.operation !== 'string') return { ok: false, message: 'request.operation must be a string' };
  const resource = request.resource;
  if (!isObject(resource) || typeof resource.resource !== 'string') return { ok: false, message: 'request.resource is missing' };
  const connect = request.operation === 'CONNECT';
  const needsObject = connect || request.operation === 'CREATE' || request.operation === 'UPDATE';
  if (needsObject && !isObject(request.object)) return { ok: false, message: `request.object must be an object for ${request.operation}` };
  if (request.oldObject !== undefined && request.oldObject !== null && !isObject(request.oldObject)) {
    return { ok: false, message: 'request.oldObject must be an object' };
  }
  let connectOptions: ConnectOptions | undefined;
  if (connect) {
    const decoded = decodeConnectOptions(request.object as Record<string, unknown>, request.kind);
    if (typeof decoded === 'string') return { ok: false, message: decoded };
    connectOptions = decoded;
  }
  return {
    ok: true,
    request: {
      uid: request.uid,
      operation: request.operation,
      resource: { group: String(resource.group ?? ''), version: String(resource.version ?? ''), resource: resource.resource },
      ...(typeof request.subResource === 'string' && request.subResource !== '' ? { subResource: request.subResource } : {}),
      namespace: typeof request.namespace === 'string' ? request.namespace : '',
      ...(typeof request.name === 'string' ? { name: request.name } : {}),
      object: (isObject(request.object) && !connect ? request.object : {}) as V1Pod,
      ...(connectOptions ? { connectOptions } : {}),
      ...(isObject(request.oldObject) ? { oldObject: request.oldObject as V1Pod } : {}),
      ...(request.dryRun === true ? { dryRun: true } : {}),
      ...(isObject(request.userInfo) ? { userInfo: request.userInfo as { username?: string } } : {}),
    },
  };
}

/** The options of a CONNECT, or what is wrong with them. */
function decodeConnectOptions(object: Record<string, unknown>, kind: unknown): ConnectOptions | string {
  const { container, command } = object;
  if (container !== undefined && typeof container !== 'string') return 'request.object.container must be a string for CONNECT';
  if (command !== undefined && !(Array.isArray(command) && command.every((c) => typeof c === 'string'))) {
    return 'request.object.command must be a list of strings for CONNECT';
  }
  const kindName = isObject(kind) && typeof kind.kind === 'string' ? kind.kind : typeof object.kind === 'string' ? object.kind : '';
  return { kind: kindName, container: container ?? '', ...(command ? { command: command as string[] } : {}) };
}

export interface AdmissionResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: {
    readonly uid: string;
    readonly allowed: boolean;
    readonly status?: { readonly code: number; readonly reason: string; readonly message: string };
    readonly patchType?: 'JSONPatch';
    readonly patch?: string;
  };
}

export function allow(uid: string, patch?: readonly JsonPatchOp[]): AdmissionResponse {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: true,
      ...(patch && patch.length > 0 ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') } : {}),
    },
  };
}

/**
 * The API server shows `admission webhook "<name>" denied the request: <message>`; the stable code
 * leads the message so users and alerts can match it.
 */
export function deny(uid: string, code: string, message: string, httpCode = 403): AdmissionResponse {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: false,
      status: { code: httpCode, reason: httpCode === 403 ? 'Forbidden' : 'InternalError', message: `${code}: ${message}` },
    },
  };
}
