/**
 * How long a stopping sidecar lets in-flight statements finish (settings `shutdown.graceMs`,
 * AIRLOCK_SHUTDOWN_GRACE_MS in broker mode). The kubelet's budget is the pod's
 * terminationGracePeriodSeconds (30 s unless the pod says otherwise), and after the grace the
 * recordings still flush (bounded by the Target's recording.flushTimeout, 10 s by default):
 * 15 + 10 + a second stays under 30.
 */
export const DEFAULT_SHUTDOWN_GRACE_MS = 15_000;
export const MAX_SHUTDOWN_GRACE_MS = 600_000;
