/**
 * Refuses a channel open with a reason the agent can read. ssh2's `reject()` for a channel open
 * always answers "connect failed" with no text, which OpenSSH prints as if the destination were
 * down; RFC 4254 has a code for a refusal by policy (administratively prohibited) and a free-text
 * description, which OpenSSH prints as "open failed: administratively prohibited: <text>".
 *
 * ssh2 offers no way to set them, so for the one synchronous call of `reject()` this swaps the
 * connection's protocol writer for one that writes that code and text, and puts it back: the
 * channel bookkeeping stays ssh2's own. If ssh2's internals change shape, the plain `reject()`
 * still refuses (with "connect failed"); the forwarding tests against the real `ssh` client read
 * the text, so they notice.
 */
import type { Connection } from 'ssh2';

/** RFC 4254 section 5.1: SSH_OPEN_ADMINISTRATIVELY_PROHIBITED. */
const ADMINISTRATIVELY_PROHIBITED = 1;
/** OpenSSH prints the description on one line of the agent's terminal: keep it short and plain. */
const MAX_DESCRIPTION = 400;

type OpenFail = (recipient: number, reason: number, description?: string) => void;

/** Printable ASCII only, one line: the agent's terminal shows it as it is. */
function plain(text: string): string {
  const cleaned = text.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > MAX_DESCRIPTION ? `${cleaned.slice(0, MAX_DESCRIPTION - 3)}...` : cleaned;
}

export function refuseChannelOpen(connection: Connection, reject: (() => void) | undefined, description: string): void {
  if (!reject) return;
  const protocol = (connection as unknown as { _protocol?: { channelOpenFail?: OpenFail } })._protocol;
  const original = protocol?.channelOpenFail;
  if (protocol === undefined || typeof original !== 'function') {
    reject();
    return;
  }
  const own = Object.hasOwn(protocol, 'channelOpenFail');
  protocol.channelOpenFail = (recipient) => original.call(protocol, recipient, ADMINISTRATIVELY_PROHIBITED, plain(description));
  try {
    reject();
  } finally {
    if (own) protocol.channelOpenFail = original;
    else delete protocol.channelOpenFail;
  }
}
