/** Session metrics that count nothing, for tests whose subject is not the metrics. */
import type { SessionMetrics } from '../session-metrics.ts';

export const NO_SESSION_METRICS: SessionMetrics = {
  statement: () => undefined,
  approvalWait: () => undefined,
  bytes: () => undefined,
  masked: () => undefined,
  maskedBinaryNulled: () => undefined,
  parseCache: () => undefined,
  error: () => undefined,
};
