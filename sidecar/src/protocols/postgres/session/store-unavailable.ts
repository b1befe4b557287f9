/**
 * What the agent hears when its session's records cannot be stored and the target says Block
 * (docs/adr/0012): a FATAL with SQLSTATE 53100 (disk_full) when the store is out of space, 58030
 * (io_error) otherwise, a message that says nothing was run, and a hint that says what to do. The
 * session is closed rather than kept: the statement's records are queued behind the failing ones,
 * and a closed session is a state every client already handles (reconnect, retry).
 */
import type { Socket } from 'node:net';
import { RecordingError } from '@airlock/contracts/recording';
import { fatalError } from './denials.ts';
import type { PgSessionServices } from './services.ts';

export const STORE_SQLSTATE = { diskFull: '53100', ioError: '58030' } as const;

const OUT_OF_SPACE = new Set(['ENOSPC', 'EDQUOT']);

export function isStoreUnavailable(error: unknown): error is RecordingError {
  return error instanceof RecordingError && error.code === 'StoreUnavailable';
}

export function storeSqlState(error: RecordingError): string {
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  return cause?.code && OUT_OF_SPACE.has(cause.code) ? STORE_SQLSTATE.diskFull : STORE_SQLSTATE.ioError;
}

/** The FATAL for a session whose records cannot be stored; `what` is what was not done. */
export function storeUnavailableFatal(error: RecordingError, target: string, what: string): Buffer {
  return fatalError(
    storeSqlState(error),
    `recordings for target ${target} cannot be stored, so ${what}: ${error.message}`,
    'The target requires every statement to be recorded before it runs (recording.onStoreFailure: Block). Free space in or repair the sidecar recording store, then reconnect; the sidecar reports not ready until it can store records again.',
  );
}

/**
 * Before anything goes upstream: waits (bounded) for the session-open record. False when it could
 * not be stored: the agent got a FATAL, the socket is ending and the recorder is closing.
 */
export async function sessionOpenRecorded(socket: Socket, services: PgSessionServices): Promise<boolean> {
  try {
    await services.record.opened();
    return true;
  } catch (error) {
    const recordingError = isStoreUnavailable(error)
      ? error
      : new RecordingError('StoreUnavailable', `the recorder failed: ${(error as Error).message}`, { cause: error });
    services.metrics.error(recordingError.code);
    services.logger.warn(
      { code: recordingError.code, message: recordingError.message },
      'session refused: its session-open record cannot be stored',
    );
    socket.end(storeUnavailableFatal(recordingError, services.target.name, 'the session was not opened'));
    services.record.record({
      type: 'error',
      code: recordingError.code,
      message: recordingError.message,
      sqlstate: storeSqlState(recordingError),
    });
    services.record.record({ type: 'session.close', reason: 'recording store unavailable', bytesIn: 0, bytesOut: 0, statements: 0 });
    void services.record.close().catch(() => undefined);
    return false;
  }
}
