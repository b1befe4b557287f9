/**
 * PgSession over in-memory sockets (testing/fake-session.ts): the test is the agent on one side
 * and the server on the other, so each case checks the exact bytes that cross each socket.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { FAKE_POLICY, type FakeSession, type FakeSessionOptions, settle, startFakeSession } from './testing/fake-session.ts';
import { backend, dataRow, frontend, noticeFields, sqlOf, type WireMessage } from './testing/pg-messages.ts';

/** The text no server accepts, which the session sends instead of a denied message (denials.ts). */
const REPLACEMENT_TEXT = 'airlock_denied_this_statement';
/** What the server answers that text with. */
const syntaxError = (): Buffer =>
  backend.errorResponse({ code: '42601', message: 'syntax error at or near "airlock_denied_this_statement"' });

const types = (messages: readonly WireMessage[]): string => messages.map((m) => m.type).join('');

let open: FakeSession | undefined;

async function session(options: FakeSessionOptions = {}): Promise<FakeSession> {
  open = await startFakeSession(options);
  return open;
}

afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('PgSession over in-memory sockets', () => {
  test('an allowed simple query is forwarded byte for byte and the reply relayed as sent', async () => {
    const { agent, upstream, record } = await session();
    const query = frontend.query('SELECT id, total FROM orders WHERE id = 1');
    agent.write(query);
    const [sent] = await upstream.next(1);
    assert.deepEqual(sent!.raw, query);

    const reply = Buffer.concat([
      backend.rowDescription([{ name: 'id', typeOid: 23 }, { name: 'total' }]),
      dataRow(['1', '9.50']),
      backend.commandComplete('SELECT 1'),
      backend.readyForQuery('I'),
    ]);
    upstream.write(reply);
    const relayed = await agent.next(4);
    assert.deepEqual(Buffer.concat(relayed.map((m) => m.raw)), reply);
    assert.deepEqual(
      record.ofType('decision').map((d) => d.effective),
      ['allow'],
    );
    assert.deepEqual(
      record.ofType('result').map((r) => [r.commandTag, r.rows]),
      [['SELECT 1', 1]],
    );
  });

  test('a denied query gets ErrorResponse and ReadyForQuery; its text never reaches the upstream', async () => {
    const { agent, upstream } = await session();
    agent.write(frontend.query('TRUNCATE orders'));
    const [sent] = await upstream.next(1);
    // The server is sent a statement it rejects, so its state follows the denial (denials.ts).
    assert.equal(sent!.type, 'Q');
    assert.equal(sqlOf(sent!), REPLACEMENT_TEXT);
    upstream.write(syntaxError(), backend.readyForQuery('I'));
    const reply = await agent.next(2);
    assert.equal(types(reply), 'EZ');
    const error = noticeFields(reply[0]!);
    assert.equal(error.C, '42501');
    assert.match(error.M ?? '', /^airlock: /);
    assert.equal(error.H, 'Use DELETE with a WHERE clause.');
    await settle();
    assert.ok(!upstream.messages.some((m) => sqlOf(m).includes('TRUNCATE')));
  });

  test('a denied Parse skips Bind, Describe and Execute up to Sync, like the server', async () => {
    const { agent, upstream } = await session();
    agent.write(frontend.parse('TRUNCATE orders'), frontend.bind(), frontend.describePortal(), frontend.execute(), frontend.sync());
    const sent = await upstream.next(2);
    assert.equal(types(sent), 'PS');
    assert.equal(sqlOf(sent[0]!), REPLACEMENT_TEXT);
    upstream.write(syntaxError(), backend.readyForQuery('I'));
    const reply = await agent.next(2);
    assert.equal(types(reply), 'EZ');
    assert.equal(noticeFields(reply[0]!).C, '42501');
    // After the Sync the session decides again: the next statement goes through.
    agent.write(frontend.parse('SELECT 1'), frontend.bind(), frontend.execute(), frontend.sync());
    assert.equal(types(await upstream.next(4)), 'PBES');
    await settle();
    assert.equal(upstream.messages.length, 6);
  });

  test('a held statement is forwarded only once approved', async () => {
    const { agent, upstream, gate } = await session();
    const query = frontend.query('CREATE TABLE audit_log (id int)');
    agent.write(query);
    const request = await gate.nextRequest();
    assert.equal(request.draft.operation.text, 'CREATE TABLE audit_log (id int)');
    const [notice] = await agent.next(1);
    assert.equal(notice!.type, 'N');
    assert.match(noticeFields(notice!).M ?? '', /request-1/);
    await settle();
    assert.equal(upstream.messages.length, 0, 'nothing goes upstream while the statement is held');

    request.approve();
    const [sent] = await upstream.next(1);
    assert.deepEqual(sent!.raw, query);
    upstream.write(backend.commandComplete('CREATE TABLE'), backend.readyForQuery('I'));
    assert.equal(types(await agent.next(2)), 'CZ');
    await settle();
    assert.deepEqual(request.executions, [{ ok: true, result: 'CREATE TABLE' }]);
  });

  test("a held statement that is denied is never forwarded; the agent gets the reviewer's reason", async () => {
    const { agent, upstream, gate } = await session();
    agent.write(frontend.query('CREATE TABLE audit_log (id int)'));
    const request = await gate.nextRequest();
    await agent.next(1);
    request.deny('not during the freeze');
    const [sent] = await upstream.next(1);
    assert.equal(sqlOf(sent!), REPLACEMENT_TEXT);
    upstream.write(syntaxError(), backend.readyForQuery('I'));
    const reply = await agent.next(2);
    assert.equal(types(reply), 'EZ');
    assert.match(noticeFields(reply[0]!).M ?? '', /denied by alice: not during the freeze/);
    await settle();
    assert.ok(!upstream.messages.some((m) => sqlOf(m).includes('CREATE TABLE')));
  });

  test('DataRows are masked when a masking rule applies to their column', async () => {
    const { agent, upstream, record } = await session({
      policy: { ...FAKE_POLICY, masking: { rules: [{ name: 'cards', columns: ['card_number'], strategy: 'partial', keepLast: 4 }] } },
    });
    agent.write(frontend.query('SELECT id, card_number FROM payments'));
    await upstream.next(1);
    upstream.write(
      backend.rowDescription([{ name: 'id' }, { name: 'card_number' }]),
      dataRow(['7', '4111111111111111']),
      backend.commandComplete('SELECT 1'),
      backend.readyForQuery('I'),
    );
    const reply = await agent.next(4);
    assert.equal(types(reply), 'TDCZ');
    const row = reply[1]!.raw;
    assert.ok(!row.includes('4111111111111111'), 'the card number is not relayed');
    assert.ok(row.includes('1111'), 'its last four digits are kept');
    assert.ok(row.includes(Buffer.from('7')), 'the other column is untouched');
    assert.deepEqual(
      record.ofType('masking').map((m) => m.maskedByRule),
      [{ 'test-policy/cards': 1 }],
    );
  });

  test('a malformed frame from the agent gets a FATAL and nothing is forwarded, not even what came before it', async () => {
    const { agent, upstream, session: pg } = await session();
    const badLength = Buffer.from([0x51, 0, 0, 0, 2]);
    agent.write(frontend.query('SELECT 1'), badLength);
    const [fatal] = await agent.next(1);
    assert.equal(fatal!.type, 'E');
    assert.equal(noticeFields(fatal!).S, 'FATAL');
    assert.equal(noticeFields(fatal!).C, '08P01');
    await pg.closed;
    assert.equal(upstream.messages.length, 0);
    open = undefined;
  });

  test('an upstream ErrorResponse is relayed as the server sent it and recorded', async () => {
    const { agent, upstream, record } = await session();
    agent.write(frontend.query('SELECT * FROM missing'));
    await upstream.next(1);
    const error = backend.errorResponse({ code: '42P01', message: 'relation "missing" does not exist' });
    upstream.write(error, backend.readyForQuery('I'));
    const reply = await agent.next(2);
    assert.deepEqual(reply[0]!.raw, error);
    assert.equal(reply[1]!.type, 'Z');
    assert.deepEqual(
      record.ofType('error').map((e) => [e.code, e.sqlstate]),
      [['StatementFailed', '42P01']],
    );
  });

  test('a ParameterStatus that moves a pinned setting ends the session and is not relayed', async () => {
    const { agent, upstream, record, session: pg } = await session();
    agent.write(frontend.query('SELECT run_report()'));
    await upstream.next(1);
    upstream.write(backend.parameterStatus('client_encoding', 'SJIS'), backend.commandComplete('SELECT 1'));
    const [fatal] = await agent.next(1);
    assert.equal(fatal!.type, 'E');
    assert.equal(noticeFields(fatal!).S, 'FATAL');
    assert.equal(noticeFields(fatal!).C, '0A000');
    await pg.closed;
    assert.ok(!agent.messages.some((m) => m.type === 'S' && m.body.includes('SJIS')));
    assert.ok(record.ofType('error').some((e) => e.code === 'PinnedSettingChanged'));
    open = undefined;
  });
});
