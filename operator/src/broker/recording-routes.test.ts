import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { IngestError, type IngestErrorCode, type RecordingIngestStore } from '../recordings/ingest-store.ts';
import type { AuthenticatedPod } from './pod-authenticator.ts';
import { ingestRecords } from './recording-routes.ts';

const pod = {
  namespace: 'agents',
  name: 'migrate-7kq2x',
  uid: 'u-1',
  serviceAccount: 'system:serviceaccount:agents:migrate',
} as AuthenticatedPod;
const refusing = (code: IngestErrorCode): RecordingIngestStore => ({
  append: async () => {
    throw new IngestError(code, `refused: ${code}`);
  },
  close: async () => undefined,
});
const logger = pino({ level: 'silent' });

test('store refusals travel with the broker code the sidecar acts on: Busy is a retryable 503', async () => {
  const expected: Record<IngestErrorCode, [string, number]> = {
    Busy: ['Unavailable', 503],
    ChainBroken: ['ChainBroken', 409],
    WrongSession: ['Invalid', 400],
    InvalidRecord: ['Invalid', 400],
    InvalidSessionKey: ['Invalid', 400],
  };
  for (const [code, [brokerCode, status]] of Object.entries(expected) as [IngestErrorCode, [string, number]][]) {
    await assert.rejects(ingestRecords({ store: refusing(code), logger }, pod, 'sess-a', { records: [] }), (error: unknown) => {
      const { code: got, status: gotStatus, message } = error as { code: string; status: number; message: string };
      assert.deepEqual([got, gotStatus, message], [brokerCode, status, `refused: ${code}`], code);
      return true;
    });
  }
});
