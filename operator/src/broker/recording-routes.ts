/**
 * Recording ingest: a sidecar posts its sessions' records; they go to the store under the
 * authenticated pod's namespace and name, whatever the records say. Only a live pod is required,
 * not a resolvable AgentIdentity: records of a session under way are audit evidence and must
 * still be taken when the identity was deleted in the middle of it.
 */
import type { BrokerErrorCode, RecordingAck } from '@airlock/contracts/broker';
import type { Logger } from 'pino';
import { IngestError, type IngestErrorCode, type RecordingIngestStore, type SessionKey } from '../recordings/ingest-store.ts';
import { BrokerHttpError, isObject } from './http-io.ts';
import type { AuthenticatedPod } from './pod-authenticator.ts';

export interface RecordingContext {
  readonly store: RecordingIngestStore;
  readonly logger: Logger;
}

const MAX_RECORDS_PER_BATCH = 100_000;

/** Busy is another replica writing the session: a 503, which the sidecar retries. */
const BROKER_CODE: Readonly<Record<IngestErrorCode, BrokerErrorCode>> = {
  ChainBroken: 'ChainBroken',
  Busy: 'Unavailable',
  WrongSession: 'Invalid',
  InvalidRecord: 'Invalid',
  InvalidSessionKey: 'Invalid',
};

export async function ingestRecords(
  context: RecordingContext,
  pod: AuthenticatedPod,
  sessionId: string,
  body: unknown,
): Promise<RecordingAck> {
  if (!isObject(body) || !Array.isArray(body.records)) {
    throw new BrokerHttpError('Invalid', 'send { records: [...] } as the broker protocol says');
  }
  if (body.records.length > MAX_RECORDS_PER_BATCH) {
    throw new BrokerHttpError('TooLarge', `more than ${MAX_RECORDS_PER_BATCH} records in one batch; send smaller batches`);
  }
  const key = sessionKey(pod, sessionId);
  try {
    const storedThrough = await context.store.append(key, body.records, { afterLoss: body.afterLoss === true });
    return { storedThrough };
  } catch (error) {
    throw translate(error, key, context.logger);
  }
}

export async function closeRecording(context: RecordingContext, pod: AuthenticatedPod, sessionId: string): Promise<void> {
  const key = sessionKey(pod, sessionId);
  try {
    await context.store.close(key);
  } catch (error) {
    throw translate(error, key, context.logger);
  }
}

const sessionKey = (pod: AuthenticatedPod, sessionId: string): SessionKey => ({ namespace: pod.namespace, pod: pod.name, sessionId });

function translate(error: unknown, key: SessionKey, logger: Logger): BrokerHttpError {
  if (error instanceof IngestError) {
    logger[error.code === 'Busy' ? 'info' : 'warn']({ session: key, code: error.code, message: error.message }, 'recording batch refused');
    return new BrokerHttpError(BROKER_CODE[error.code], error.message);
  }
  logger.error(
    { session: key, err: { message: (error as Error).message, code: (error as NodeJS.ErrnoException).code } },
    'recording store failed',
  );
  return new BrokerHttpError('Unavailable', 'the recording store cannot store the records now; retry', { cause: error });
}
