/**
 * What an agent is told when the sidecar stops (SIGTERM): FATAL 57P01 admin_shutdown, the code
 * PostgreSQL itself sends on a fast shutdown, so drivers and poolers treat it as "server going
 * away, reconnect later" rather than as a failed statement.
 */
import { serialize } from 'pg-protocol';
import { encode } from '../wire/backend-messages.ts';

export const ADMIN_SHUTDOWN = '57P01';
export const SHUTDOWN_MESSAGE = 'airlock sidecar shutting down';
/** The session.close reason in the recording. */
export const SHUTDOWN_REASON = 'the sidecar is shutting down';

/** Sent once the session is idle: nothing was lost. */
export const SHUTDOWN_FATAL: Buffer = encode.errorResponse({ severity: 'FATAL', code: ADMIN_SHUTDOWN, message: SHUTDOWN_MESSAGE });

/** Sent at the deadline to a session that still had work in flight. */
export const SHUTDOWN_CUT_FATAL: Buffer = encode.errorResponse({
  severity: 'FATAL',
  code: ADMIN_SHUTDOWN,
  message: SHUTDOWN_MESSAGE,
  detail: 'The shutdown grace period ended while a statement was in progress: it may or may not have run.',
});

/** Terminate, to end the upstream connection the way a client would. */
export const UPSTREAM_TERMINATE: Buffer = serialize.end();
