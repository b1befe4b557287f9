/**
 * kube-apiserver's audit log for tests: a policy recording every request at Metadata level (who,
 * verb, the object's coordinates, the URI, the status; no bodies), written as JSON lines, and a
 * reader for it. Tests use it to see how the API server itself read a request.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** RequestReceived is left out: every request also reaches a later stage, with the same attributes. */
const METADATA_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
`;

/** The fields of an audit event tests read (audit.k8s.io/v1 Event); empty ones are absent. */
export interface AuditEvent {
  readonly auditID: string;
  readonly stage: 'ResponseStarted' | 'ResponseComplete' | 'Panic';
  readonly verb: string;
  readonly requestURI: string;
  readonly userAgent?: string;
  readonly user?: { readonly username?: string };
  readonly objectRef?: {
    readonly apiGroup?: string;
    readonly apiVersion?: string;
    readonly namespace?: string;
    readonly resource?: string;
    readonly subresource?: string;
    readonly name?: string;
  };
  readonly responseStatus?: { readonly code?: number };
}

/** Writes the policy into `dir` and returns the flags that make kube-apiserver log there. */
export function auditLogFlags(dir: string): { flags: string[]; logPath: string } {
  const policyPath = join(dir, 'audit-policy.yaml');
  const logPath = join(dir, 'audit.log');
  writeFileSync(policyPath, METADATA_POLICY);
  return {
    flags: [`--audit-policy-file=${policyPath}`, `--audit-log-path=${logPath}`, '--audit-log-format=json', '--audit-log-mode=blocking'],
    logPath,
  };
}

/** The events written so far; a last line still being written is left for the next read. */
export function readAuditEvents(logPath: string): AuditEvent[] {
  if (!existsSync(logPath)) return [];
  const lines = readFileSync(logPath, 'utf8').split('\n');
  lines.pop();
  return lines.filter((line) => line !== '').map((line) => JSON.parse(line) as AuditEvent);
}
