/**
 * Every bound the SSH data path enforces, in one place. The defaults are sized for the memory limit
 * the webhook injects: a connection holds at most `maxChannelsPerConnection` session channels and
 * `maxForwardsPerConnection` forwarded ones, each with ssh2's 2 MiB receive window towards the
 * agent and towards the upstream, so a connection's buffers stay under ~80 MiB and the listener's
 * under `maxConnections` times that.
 */
export interface SshLimits {
  /** Open agent connections per target listener; more are closed before the SSH handshake. */
  readonly maxConnections: number;
  /**
   * Open session channels per agent connection. OpenSSH's sshd allows 10 sessions per connection
   * (MaxSessions) and the sidecar opens one upstream channel per agent channel on one upstream
   * connection, so a larger value would only move the refusal upstream.
   */
  readonly maxChannelsPerConnection: number;
  /**
   * Open forwarded connections (`ssh -L`, `ssh -D`: direct-tcpip channels) per agent connection, on
   * top of the session channels: a SOCKS client that opens many connections cannot take the room
   * commands need, nor the other way round. sshd's MaxSessions does not count these channels.
   */
  readonly maxForwardsPerConnection: number;
  /**
   * Largest exec command line, in UTF-8 bytes; a longer one is refused without being parsed. The
   * shell analysis reads at most 16 KiB (longer lines are unknown: never allowed, but they can be
   * approved); ssh2 itself drops a connection whose packet is over 35,000 bytes (RFC 4253's floor),
   * so a line over ~34 KiB never reaches this check.
   */
  readonly maxCommandBytes: number;
  /** From accept to an authenticated connection: a handshake that takes longer is cut. */
  readonly handshakeTimeoutMs: number;
  /** From dialling the upstream host to its authenticated connection. */
  readonly connectTimeoutMs: number;
  /** SSH-level keepalive on the upstream connection; 0 turns it off. */
  readonly keepAliveMs: number;
  /**
   * Channel bytes (output, and what the agent sends) one agent connection records at most; past
   * it they are forwarded and counted, not recorded (session/recording-budget.ts says why).
   */
  readonly maxRecordedBytes: number;
}

export const DEFAULT_SSH_LIMITS: SshLimits = {
  maxConnections: 64,
  maxChannelsPerConnection: 10,
  maxForwardsPerConnection: 10,
  maxCommandBytes: 32 * 1024,
  handshakeTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  keepAliveMs: 60_000,
  maxRecordedBytes: 64 * 1024 * 1024,
};

/** Why a command line is refused before it is parsed, or undefined when it is within the limit. */
export function commandOverLimit(command: string, limits: Pick<SshLimits, 'maxCommandBytes'>): string | undefined {
  const bytes = Buffer.byteLength(command, 'utf8');
  if (bytes <= limits.maxCommandBytes) return undefined;
  return `the command line is ${bytes} bytes, over this sidecar's limit of ${limits.maxCommandBytes} bytes: run a script that is on the host instead`;
}
