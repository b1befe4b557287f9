/**
 * A digest of the sidecar container and its token volume that survives the API server's
 * defaulting: the webhook hashes what it builds, the validator hashes what is stored, and the two
 * must agree exactly when nobody changed the sidecar afterwards.
 *
 * Canonical form: the API server's defaults filled in (so absent and defaulted compare equal),
 * empty lists and nulls dropped, object keys sorted. `resources` and `resizePolicy` are left out:
 * a LimitRange (re-run when webhooks are re-invoked) and in-place resize change them legitimately,
 * and they do not change what the sidecar enforces.
 */
import { createHash } from 'node:crypto';
import type { V1Container, V1Volume } from '@kubernetes/client-node';
import { defaultPullPolicy } from './sidecar-template.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PROBES = ['startupProbe', 'readinessProbe', 'livenessProbe'] as const;
const PROBE_DEFAULTS = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 } as const;

function plain<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value ?? null)) as Record<string, unknown>;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function setDefault(target: Record<string, unknown> | undefined, key: string, value: unknown): void {
  if (target && (target[key] === undefined || target[key] === null || target[key] === '')) target[key] = value;
}

export function canonicalContainer(container: V1Container | undefined): Json {
  if (!container) return null;
  const c = plain(container);
  delete c.resources;
  delete c.resizePolicy;
  if (typeof c.image === 'string') setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const name of PROBES) {
    const probe = record(c[name]);
    if (!probe) continue;
    for (const [key, value] of Object.entries(PROBE_DEFAULTS)) setDefault(probe, key, value);
    const httpGet = record(probe.httpGet);
    setDefault(httpGet, 'path', '/');
    setDefault(httpGet, 'scheme', 'HTTP');
  }
  for (const env of Array.isArray(c.env) ? c.env : []) setDefault(record(record(record(env)?.valueFrom)?.fieldRef), 'apiVersion', 'v1');
  for (const port of Array.isArray(c.ports) ? c.ports : []) setDefault(record(port), 'protocol', 'TCP');
  return normalize(c);
}

export function canonicalVolume(volume: V1Volume | undefined): Json {
  if (!volume) return null;
  const v = plain(volume);
  const projected = record(v.projected);
  setDefault(projected, 'defaultMode', 0o644);
  for (const source of Array.isArray(projected?.sources) ? projected.sources : []) {
    setDefault(record(record(source)?.serviceAccountToken), 'expirationSeconds', 3600);
  }
  return normalize(v);
}

/** `sha256:<hex>` of the canonical sidecar container and token volume. */
export function sidecarHash(container: V1Container | undefined, tokenVolume: V1Volume | undefined): string {
  const digest = createHash('sha256')
    .update(stableStringify({ container: canonicalContainer(container), tokenVolume: canonicalVolume(tokenVolume) }))
    .digest('hex');
  return `sha256:${digest}`;
}

/** Drops nulls and empty lists (the API server omits both), keeps empty objects (emptyDir: {} means something). */
function normalize(value: unknown): Json {
  if (Array.isArray(value)) return value.map(normalize);
  const object = record(value);
  if (!object) return value as Json;
  const out: Record<string, Json> = {};
  for (const [key, child] of Object.entries(object)) {
    if (child === null || child === undefined || (Array.isArray(child) && child.length === 0)) continue;
    out[key] = normalize(child);
  }
  return out;
}

/** JSON with object keys sorted, so equal values always give equal text. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const object = record(value);
  if (object) {
    const keys = Object.keys(object)
      .filter((key) => object[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableStringify(object[key])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
