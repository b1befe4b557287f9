/**
 * What an agent is told when the token it authenticated with expires during its session
 * (core/session/token-expiry.ts): FATAL with SQLSTATE 28000 invalid_authorization_specification,
 * the code the listener already answers a refused or expired token with at startup. Not 57P01
 * admin_shutdown (the graceful drain's code): drivers and poolers read that as "the server is going
 * away, reconnect", and reconnecting with the same token fails; class 28 says the credential is the
 * problem, so the agent fetches a fresh token first. The session ends through the drain path
 * (PgSession.shutdown, then terminate when the grace is over), so these are its two FATALs.
 */
import type { TokenExpiry } from '../../../core/session/token-expiry.ts';
import { fatalError, SQLSTATE } from './denials.ts';

/** Sent once the session is idle: what was in flight finished and was answered. */
export function tokenExpiredFatal(expiry: TokenExpiry): Buffer {
  return fatalError(SQLSTATE.invalidAuthorization, expiry.message);
}

/** Sent when the grace after the expiry is over and a statement was still in progress. */
export function tokenExpiredCutFatal(expiry: TokenExpiry): Buffer {
  return fatalError(
    SQLSTATE.invalidAuthorization,
    expiry.message,
    'A statement was still in progress when the grace after the expiry ended: it may or may not have run.',
  );
}
