import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SESSION_ID, sampleEvents, steppingClock } from '../testing/sample-events.ts';
import type { RecordedEvent } from './events.ts';
import { CHAIN_START, type ChainHead, chainRecord, recordHash, type StoredRecord, serializeRecord } from './hash-chain.ts';
import { type VerifyFailure, type VerifyProblem, verifyJsonl, verifyRecords } from './verify.ts';

function chain(events: readonly RecordedEvent[], session = SESSION_ID): StoredRecord[] {
  const clock = steppingClock();
  let head: ChainHead = CHAIN_START;
  return events.map((event) => {
    const record = chainRecord(head, session, clock(), event);
    head = { seq: record.seq + 1, hash: record.hash };
    return record;
  });
}

/** Deep copies, so a test can tamper freely. */
function records(): StoredRecord[] {
  return structuredClone(chain(sampleEvents()));
}

function assertFails(result: ReturnType<typeof verifyRecords>, problem: VerifyProblem, seq: number): VerifyFailure {
  assert.equal(result.ok, false, `expected ${problem}, got ${JSON.stringify(result)}`);
  const failure = result as VerifyFailure;
  assert.equal(failure.problem, problem, failure.message);
  assert.equal(failure.seq, seq, failure.message);
  return failure;
}

describe('verifyRecords', () => {
  test('an untouched session verifies and ends with session.close', () => {
    const all = records();
    assert.deepEqual(verifyRecords(all, { requireClose: true }), {
      ok: true,
      count: 12,
      session: SESSION_ID,
      lastSeq: 11,
      lastHash: all[11]!.hash,
      endsWithClose: true,
    });
  });

  test('modified: one field of one event changed', () => {
    const all = records();
    const decision = all[3]!;
    assert.equal(decision.event.type, 'decision');
    (decision.event as { action: string }).action = 'deny';
    const failure = assertFails(verifyRecords(all), 'modified', 3);
    assert.equal(failure.verified, 3);
    assert.equal(failure.index, 3);
  });

  test('modified: a record changed and rehashed no longer links to the next one', () => {
    const all = records();
    const statement = all[6]!;
    (statement.event as { text: string }).text = 'SELECT 1';
    (statement as { hash: string }).hash = recordHash(statement);
    const failure = assertFails(verifyRecords(all), 'modified', 7);
    assert.match(failure.message, /does not link to seq 6/);
  });

  test('modified: a record cannot move by changing its seq', () => {
    const all = records();
    (all[4] as { seq: number }).seq = 9;
    assertFails(verifyRecords(all), 'modified', 4);
  });

  test('removed: a record in the middle', () => {
    const all = records();
    all.splice(5, 1);
    const failure = assertFails(verifyRecords(all), 'removed', 5);
    assert.equal(failure.found, 6);
    assert.equal(failure.index, 5);
  });

  test('reordered: two records swapped', () => {
    const all = records();
    [all[4], all[5]] = [all[5]!, all[4]!];
    const failure = assertFails(verifyRecords(all), 'reordered', 4);
    assert.equal(failure.found, 5);
  });

  test('reordered: a record moved to the end', () => {
    const all = records();
    const [moved] = all.splice(2, 1);
    all.push(moved!);
    assertFails(verifyRecords(all), 'reordered', 2);
  });

  test('duplicated: a record repeated', () => {
    const all = records();
    all.splice(4, 0, structuredClone(all[3]!));
    const failure = assertFails(verifyRecords(all), 'duplicated', 4);
    assert.equal(failure.found, 3);
  });

  test('truncated-head: the first records cut off', () => {
    const failure = assertFails(verifyRecords(records().slice(3)), 'truncated-head', 0);
    assert.equal(failure.found, 3);
    assert.match(failure.message, /records 0\.\.2 are missing/);
  });

  test('a truncated tail is a valid chain: the result says it lacks session.close', () => {
    const all = records().slice(0, 7);
    const result = verifyRecords(all);
    assert.ok(result.ok);
    assert.equal(result.lastSeq, 6);
    assert.equal(result.lastHash, all[6]!.hash);
    assert.equal(result.endsWithClose, false);
    assertFails(verifyRecords(all, { requireClose: true }), 'truncated-tail', 7);
  });

  test('wrong-session: a valid record of another session', () => {
    const all = records();
    const other = chain(sampleEvents('sess-other'), 'sess-other');
    all[2] = other[2]!;
    assertFails(verifyRecords(all), 'wrong-session', 2);
    assertFails(verifyRecords(records(), { session: 'sess-other' }), 'wrong-session', 0);
  });

  test('after-close: records appended after session.close', () => {
    const events = sampleEvents();
    const all = chain([...events, { type: 'statement', statementIndex: 2, text: 'DROP TABLE orders', flavour: 'simple' }]);
    assertFails(verifyRecords(all), 'after-close', 12);
  });

  test('the first record must start from the genesis value', () => {
    const forged = chainRecord({ seq: 0, hash: 'f'.repeat(64) }, SESSION_ID, new Date(0), sampleEvents()[0]!);
    assertFails(verifyRecords([forged]), 'modified', 0);
  });

  test('bad-record and unsupported-version', () => {
    const all = records();
    assertFails(verifyRecords([...all.slice(0, 2), { ...all[2], hash: 'xyz' }]), 'bad-record', 2);
    assertFails(verifyRecords([{ ...all[0], time: '2025-06-01 12:00:00' }]), 'bad-record', 0);
    assertFails(verifyRecords([{ ...all[0], v: 2 }]), 'unsupported-version', 0);
    assertFails(verifyRecords([42]), 'bad-record', 0);
  });

  test('empty', () => {
    assertFails(verifyRecords([]), 'empty', 0);
  });
});

describe('verifyJsonl', () => {
  const lines = () => records().map(serializeRecord);

  test('verifies a file with or without a final newline', () => {
    assert.ok(verifyJsonl(`${lines().join('\n')}\n`).ok);
    assert.ok(verifyJsonl(lines().join('\n')).ok);
  });

  test('bad-json: a torn last line', () => {
    const all = lines();
    const torn = `${all.slice(0, 5).join('\n')}\n${all[5]!.slice(0, 40)}`;
    const failure = assertFails(verifyJsonl(torn), 'bad-json', 5);
    assert.match(failure.message, /line 6/);
  });

  test('bad-json: an empty line in the middle', () => {
    const all = lines();
    all.splice(3, 0, '');
    assertFails(verifyJsonl(all.join('\n')), 'bad-json', 3);
  });

  test('a number JSON cannot hold is a bad record, not a crash', () => {
    const all = lines();
    all[1] = all[1]!.replace('"statementIndex":0', '"statementIndex":1e400');
    assertFails(verifyJsonl(all.join('\n')), 'bad-record', 1);
  });

  test('reordering is told from removal by looking ahead', () => {
    const all = lines();
    [all[8], all[10]] = [all[10]!, all[8]!];
    assertFails(verifyJsonl(all.join('\n')), 'reordered', 8);
  });
});
