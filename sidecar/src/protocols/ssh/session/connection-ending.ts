/**
 * Why an agent connection stops taking new work while channels are still open: the sidecar is
 * shutting down (SIGTERM), or the token the agent logged in with expired
 * (core/session/token-expiry.ts). Either way a held command is withdrawn and the agent reads why on
 * the channel's stderr; only the words differ, so the channels get the reason, not just the moment.
 */
import type { TokenExpiry } from '../../../core/session/token-expiry.ts';

export type ConnectionEnding = { readonly kind: 'shutdown' } | { readonly kind: 'tokenExpired'; readonly expiry: TokenExpiry };

/** What a held request's agent reads when the connection's end withdraws it; `shutdownSentence` is the protocol's shutdown text for that request. */
export function withdrawalSentences(ending: ConnectionEnding, shutdownSentence: string, notRun: string): string[] {
  if (ending.kind === 'shutdown') return [shutdownSentence];
  return [ending.expiry.message, `The request was withdrawn and ${notRun}.`];
}

/** What the agent reads on each channel still open when the grace after its token's expiry is over. */
export function tokenExpiredCutSentences(expiry: TokenExpiry): string[] {
  return [expiry.message, 'The session was closed while this channel was open: what ran in it may not have finished.'];
}
