/** Hash-chained records for the ingest tests, made with the sidecar's own hashing. */
import { CHAIN_START, type ChainHead, RECORD_VERSION, recordHash, type StoredRecord } from '@airlock/contracts/recording';

/** `count` records of `session` from `head`, each a statement event `<text> <seq>`. */
export function chain(session: string, count: number, head: ChainHead = CHAIN_START, text = 'SELECT'): StoredRecord[] {
  const records: StoredRecord[] = [];
  let { seq, hash } = head;
  for (let i = 0; i < count; i++) {
    const unsigned = {
      v: RECORD_VERSION as typeof RECORD_VERSION,
      session,
      seq,
      time: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
      prev: hash,
      event: { type: 'statement' as const, statementIndex: seq, text: `${text} ${seq}`, flavour: 'simple' as const },
    };
    const record = { ...unsigned, hash: recordHash(unsigned) };
    records.push(record);
    seq += 1;
    hash = record.hash;
  }
  return records;
}

export const headAfter = (records: readonly StoredRecord[]): ChainHead => {
  const last = records[records.length - 1];
  return last ? { seq: last.seq + 1, hash: last.hash } : CHAIN_START;
};
