/**
 * Every way `kubectl approve` can fail, each with a stable code and exit status that scripts can
 * rely on (documented in the README and in `kubectl approve --help`). Messages say what happened
 * and what to do; the API server's own words are kept where they are the authority.
 */

export const EXIT_CODES = {
  /** Something unexpected: a bug, or an API answer the plugin does not understand. */
  Internal: 1,
  /** Wrong flags or arguments. */
  Usage: 2,
  /** No such ApprovalRequest (or namespace). */
  NotFound: 3,
  /** The request is no longer Pending: approved, denied, withdrawn, executed or failed. */
  AlreadyDecided: 4,
  /** The request passed its expiresAt: nothing can approve it any more. */
  Expired: 5,
  /** RBAC does not let you do this: the message names the missing permission. */
  Forbidden: 6,
  /** You are not one of the request's approver users or groups: the message names them. */
  NotApprover: 6,
  /** You are the requester (its service account, one of its namespace, or the person it acts for). */
  SelfReview: 7,
  /** You already reviewed this request; a review stands once written. */
  AlreadyReviewed: 8,
  /** The API server refused the review for another reason (the message is its own), or --digest did not match. */
  Refused: 9,
  DigestMismatch: 9,
  /** No kubeconfig, the API server cannot be reached, or it does not accept your credentials. */
  Unreachable: 10,
  /** Ctrl-C (or SIGTERM) before the command finished. */
  Interrupted: 130,
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

export class ApproveError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApproveError';
    this.code = code;
    this.exitCode = EXIT_CODES[code];
  }
}

/** Exit status of an interrupted run, as shells report them. */
export const EXIT_INTERRUPTED = EXIT_CODES.Interrupted;
