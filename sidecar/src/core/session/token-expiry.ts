/**
 * A session authenticated with an agent's token is that token's principal, so it lasts only as
 * long as the token (issue 18; docs/adr/0029-who-a-session-is.md). This is the part every protocol
 * shares: when the principal has `expiresAt`, the session's end is scheduled for that moment, and
 * the protocol ends the session through its own drain path (PostgreSQL: FATAL between messages;
 * SSH: stderr lines and closed channels; Kubernetes: 401 and a closed connection).
 *
 * - The sidecar's clock decides, not the timer: a timer that fires before the clock reaches the
 *   expiry (the two disagree by a millisecond, or a test drives the clock) is set again for what
 *   is left, and `expired()` asks the clock, so a request that arrives before the timer fired is
 *   still refused.
 * - What was in flight at the expiry may finish, as in a graceful shutdown, but only for
 *   TOKEN_EXPIRY_GRACE_MS: then `onGraceOver` cuts the session.
 * - Timers never keep the process alive (unref) and are cleared when the session ends first
 *   (`cancel`). A principal without `expiresAt` (the pod's own identity) schedules nothing.
 */
import type { AgentPrincipal } from '../ports.ts';

/** The session.close reason of every protocol when the token ended the session. */
export const TOKEN_EXPIRED_REASON = 'token-expired';

/** The stable error code of the `error` record a protocol writes when the token ended the session. */
export const TOKEN_EXPIRED_CODE = 'TokenExpired';

/** How long what was in flight at the expiry may still take before the session is cut. */
export const TOKEN_EXPIRY_GRACE_MS = 5_000;

/** setTimeout caps its delay at 2^31-1 ms (about 24.8 days); a longer wait is taken in steps. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The timers the schedule uses; node's by default, a test's own to drive them. */
export interface SessionTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const NODE_TIMERS: SessionTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What a protocol tells the agent and records when the token ended the session. */
export interface TokenExpiry {
  /** The expiry, normalised to RFC 3339 in UTC. */
  readonly expiresAt: string;
  /** For the agent, without the `airlock: ` prefix each protocol adds: what happened and what to do. */
  readonly message: string;
  /** For session.close. */
  readonly reason: typeof TOKEN_EXPIRED_REASON;
}

export interface SessionExpiryOptions {
  readonly principal: Pick<AgentPrincipal, 'expiresAt'>;
  /** The sidecar's clock, wall-clock milliseconds. */
  readonly clock: () => number;
  /** The token expired: the protocol tells the agent and starts ending the session (its drain path). */
  readonly onExpired: (expiry: TokenExpiry) => void;
  /** The grace after the expiry is over and the session is still open: cut it. */
  readonly onGraceOver?: (expiry: TokenExpiry) => void;
  readonly graceMs?: number;
  readonly timers?: SessionTimers;
}

export interface SessionExpiry {
  /** The principal's expiry, RFC 3339; absent for a principal without one. */
  readonly expiresAt: string | undefined;
  /** Whether the clock has reached the expiry; always false without one. */
  expired(): boolean;
  /** What to tell the agent, once expired(); undefined before. */
  expiry(): TokenExpiry | undefined;
  /** The session ended first: no callback will run. Safe to call more than once. */
  cancel(): void;
}

/** The expiry of a principal, in clock milliseconds; undefined when it has none (pod identity). */
export function principalExpiry(principal: Pick<AgentPrincipal, 'expiresAt'>): number | undefined {
  if (principal.expiresAt === undefined) return undefined;
  const at = Date.parse(principal.expiresAt);
  // The broker's answer was checked for a date (broker/principal-shape.ts); an unreadable one fails closed: expired.
  return Number.isNaN(at) ? Number.NEGATIVE_INFINITY : at;
}

/** What the agent reads when its token has expired, during a session or when it connects with it. */
export function tokenExpiredMessage(expiresAtMs: number): string {
  return `your token expired at ${rfc3339(expiresAtMs)}; reconnect with a fresh token`;
}

export function scheduleSessionExpiry(options: SessionExpiryOptions): SessionExpiry {
  const at = principalExpiry(options.principal);
  if (at === undefined) return NO_EXPIRY;
  const timers = options.timers ?? NODE_TIMERS;
  const { clock } = options;
  const expiry: TokenExpiry = { expiresAt: rfc3339(at), message: tokenExpiredMessage(at), reason: TOKEN_EXPIRED_REASON };
  let handle: unknown;
  let done = false;

  const expired = (): boolean => clock() >= at;
  const wait = (): void => {
    const left = at - clock();
    handle = timers.setTimeout(fire, Math.min(Math.max(0, left), MAX_TIMER_DELAY_MS));
  };
  const fire = (): void => {
    handle = undefined;
    if (done) return;
    if (!expired()) {
      wait();
      return;
    }
    if (options.onGraceOver) {
      const graceOver = options.onGraceOver;
      handle = timers.setTimeout(() => {
        handle = undefined;
        if (done) return;
        done = true;
        graceOver(expiry);
      }, options.graceMs ?? TOKEN_EXPIRY_GRACE_MS);
    } else {
      done = true;
    }
    options.onExpired(expiry);
  };
  // Even a principal already expired is told asynchronously: the protocol finishes wiring its session first.
  wait();
  return {
    expiresAt: expiry.expiresAt,
    expired,
    expiry: () => (expired() ? expiry : undefined),
    cancel: () => {
      done = true;
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = undefined;
    },
  };
}

const NO_EXPIRY: SessionExpiry = {
  expiresAt: undefined,
  expired: () => false,
  expiry: () => undefined,
  cancel: () => undefined,
};

function rfc3339(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'an unreadable time';
}
