/**
 * The two JSON payloads of an exec stream the recording reads: the error channel's metav1.Status
 * (how the command ended) and the resize channel's terminal size. Both come from the peers, so both
 * are read defensively: anything that is not what the kubelet or kubectl write reads as unknown,
 * never as a made-up exit status or size.
 */

/** How the command ended, as far as the error channel says. */
export interface ExecExit {
  /** The command's exit status: 0 for a Success Status, the ExitCode cause of a Failure. */
  readonly exitStatus?: number;
}

/**
 * The kubelet ends a v4/v5 stream with a Status on channel 3: `{"status":"Success"}`, or
 * `{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}`.
 * A Failure without an exit code (the container is gone, the runtime failed) and the plain text of
 * older protocols say nothing about an exit status.
 */
export function execExit(errorChannel: Buffer, statusErrors: boolean): ExecExit {
  if (!statusErrors || errorChannel.length === 0) return {};
  let status: unknown;
  try {
    status = JSON.parse(errorChannel.toString('utf8'));
  } catch {
    return {};
  }
  if (!isObject(status)) return {};
  if (status.status === 'Success') return { exitStatus: 0 };
  if (status.status !== 'Failure' || !isObject(status.details) || !Array.isArray(status.details.causes)) return {};
  for (const cause of status.details.causes) {
    if (isObject(cause) && cause.reason === 'ExitCode' && typeof cause.message === 'string' && /^\d{1,10}$/.test(cause.message)) {
      const code = Number(cause.message);
      if (Number.isSafeInteger(code)) return { exitStatus: code };
    }
  }
  return {};
}

export interface TerminalSize {
  readonly cols: number;
  readonly rows: number;
}

/** kubectl's resize message, `{"Width":120,"Height":40}`; undefined for anything else. */
export function terminalSize(resize: Buffer): TerminalSize | undefined {
  let size: unknown;
  try {
    size = JSON.parse(resize.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(size)) return undefined;
  const { Width: cols, Height: rows } = size;
  if (!isDimension(cols) || !isDimension(rows)) return undefined;
  return { cols, rows };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A terminal dimension: what a uint16 holds, as the kubelet's TerminalSize does. */
function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff;
}
