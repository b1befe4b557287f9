/**
 * The `airlock.dev/injected` annotation: what the webhook injected, so re-invocation can tell
 * nothing is left to do and the validating webhook can tell the sidecar was not changed since.
 */
import { ANNOTATIONS } from '@airlock/contracts/install';

export interface InjectionRecord {
  readonly version: 1;
  /** The AgentIdentity the pod was resolved to. */
  readonly identity: string;
  /** The Targets the sidecar serves, sorted. */
  readonly targets: readonly string[];
  /** sidecarHash() of the sidecar container and token volume as injected. */
  readonly sidecarHash: string;
}

/** Fixed key order, so the same record always gives the same annotation text. */
export function serializeRecord(record: InjectionRecord): string {
  return JSON.stringify({
    version: record.version,
    identity: record.identity,
    targets: [...record.targets],
    sidecarHash: record.sidecarHash,
  });
}

export type ParsedRecord = { readonly ok: true; readonly record: InjectionRecord } | { readonly ok: false; readonly message: string };

export function parseRecord(text: string | undefined): ParsedRecord {
  if (text === undefined) return { ok: false, message: `annotation ${ANNOTATIONS.injected} is missing` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: `annotation ${ANNOTATIONS.injected} is not JSON` };
  }
  const v = value as Partial<Record<keyof InjectionRecord, unknown>> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    v.version !== 1 ||
    typeof v.identity !== 'string' ||
    !Array.isArray(v.targets) ||
    !v.targets.every((t) => typeof t === 'string') ||
    typeof v.sidecarHash !== 'string' ||
    !/^sha256:[0-9a-f]{64}$/.test(v.sidecarHash)
  ) {
    return {
      ok: false,
      message: `annotation ${ANNOTATIONS.injected} is not an injection record ({"version":1,"identity","targets","sidecarHash":"sha256:..."})`,
    };
  }
  return { ok: true, record: { version: 1, identity: v.identity, targets: v.targets as string[], sidecarHash: v.sidecarHash } };
}
