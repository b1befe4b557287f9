/**
 * A session's view of the sidecar's metrics: one call per thing that happened, with the protocol
 * label filled in once here, so a session cannot count under another protocol's name and can be
 * driven in tests without a Prometheus registry.
 */
import type { MetricProtocol, SidecarMetrics } from '../observability/metrics.ts';

export interface SessionMetrics {
  statement(decision: 'allow' | 'deny' | 'requireApproval', mode: 'enforce' | 'audit'): void;
  approvalWait(outcome: string, seconds: number): void;
  bytes(direction: 'in' | 'out', count: number): void;
  masked(rule: string, count: number): void;
  maskedBinaryNulled(count: number): void;
  parseCache(hit: boolean): void;
  error(code: string): void;
}

export function sessionMetricsFor(metrics: SidecarMetrics, protocol: MetricProtocol): SessionMetrics {
  return {
    statement: (decision, mode) => metrics.statements.inc({ protocol, decision, mode }),
    approvalWait: (outcome, seconds) =>
      metrics.approvalWaitSeconds.observe(
        { protocol, outcome: outcome.toLowerCase() as 'approved' | 'denied' | 'expired' | 'withdrawn' | 'failed' },
        seconds,
      ),
    bytes: (direction, count) => metrics.bytes.inc({ protocol, direction }, count),
    masked: (rule, count) => metrics.maskedFields.inc({ protocol, rule }, count),
    maskedBinaryNulled: (count) => metrics.maskedBinaryNulled.inc(count),
    parseCache: (hit) => metrics.parseCacheLookups.inc({ result: hit ? 'hit' : 'miss' }),
    error: (code) => metrics.errors.inc({ protocol, code }),
  };
}
