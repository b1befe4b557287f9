/**
 * The lexing barrier (pg/session/lexing-barrier.ts, ADR 0014): code the policy allows changes a
 * pinned setting, and the agent pipelined, in the same write, a message the server would then read
 * as a closed literal followed by a forbidden statement. The backstop's FATAL must win and the
 * forbidden statement must not run — in the simple protocol, in the extended protocol without a
 * Sync (the server reports the change only at ReadyForQuery, so the sidecar has to ask), and with
 * one. Then the barrier must be invisible: against the same server without the sidecar, the agent
 * gets the same replies, and nothing waits for a Sync that is not coming.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { type BackendFrame, errorFields, RawConnection } from '../raw-session.ts';
import { type HostileFixture, startHostileFixture } from './hostile-fixture.ts';
import { CLIENT_ONLY_ENCODINGS, SWALLOWS_BACKSLASH, VICTIM } from './lexing-attacks.ts';

let fixture: HostileFixture;

before(async () => {
  fixture = await startHostileFixture();
  // As the owner, like any function the agent is allowed to call; the classifier cannot see into it.
  await fixture.superuser(`CREATE FUNCTION public.airlock_switch(setting text, value text) RETURNS text LANGUAGE plpgsql
    AS $$ BEGIN RETURN set_config(setting, value, false); END $$`);
  await fixture.superuser(`CREATE FUNCTION public.airlock_noop() RETURNS text LANGUAGE sql AS $$ SELECT 'noop' $$`);
});

after(async () => {
  await fixture?.close();
});

beforeEach(async () => {
  await fixture.resetVictim();
  await fixture.direct(`TRUNCATE ${VICTIM}`);
  await fixture.direct(`INSERT INTO ${VICTIM} VALUES (1)`);
});

interface Pin {
  readonly setting: string;
  readonly value: string;
  /** Opens a literal that is one token to the classifier and closes early to the server after the change. */
  readonly open: string;
}

const PINS: readonly Pin[] = [
  ...CLIENT_ONLY_ENCODINGS.flatMap((encoding): Pin[] => {
    const swallower = SWALLOWS_BACKSLASH[encoding];
    return swallower === undefined ? [] : [{ setting: 'client_encoding', value: encoding, open: `E'${swallower}\\'` }];
  }),
  { setting: 'standard_conforming_strings', value: 'off', open: `'\\''` },
];

/** Two statements to the server after the change: a literal, then DROP TABLE (for a Query). */
const dropAttack = (pin: Pin): string => `SELECT ${pin.open}; DROP TABLE ${VICTIM}; --'`;
/** One statement to the server after the change, as a Parse needs: a data-modifying CTE the policy denies (DELETE). */
const deleteAttack = (pin: Pin): string =>
  `WITH a AS (SELECT ${pin.open}) , d AS (DELETE FROM ${VICTIM} RETURNING 1) SELECT 1 --') SELECT 1`;

const call = (pin: Pin): string => `SELECT public.airlock_switch('${pin.setting}', '${pin.value}')`;

const extended = (sql: string): Buffer[] => [serialize.parse({ text: sql }), serialize.bind({}), serialize.execute({})];

async function assertBackstopWon(connection: RawConnection, pin: Pin): Promise<void> {
  const frames = await connection.untilClosed();
  const fatal = frames.find((frame) => frame.type === 'E' && errorFields(frame.payload).get('S') === 'FATAL');
  assert.ok(fatal, `a FATAL, got ${frames.map((f) => f.type).join('')}`);
  const fields = errorFields(fatal.payload);
  assert.equal(fields.get('C'), '0A000', fields.get('M'));
  assert.match(fields.get('M') ?? '', new RegExp(`the target reports ${pin.setting} = .*which airlock pins`));
}

async function assertVictimUntouched(what: string): Promise<void> {
  await fixture.assertVictimIntact(what);
  const { rows } = await fixture.direct(`SELECT count(*)::int AS n FROM ${VICTIM}`);
  assert.equal(rows[0]?.n, 1, `${what}: the server ran DELETE FROM ${VICTIM}`);
}

for (const pin of PINS) {
  describe(`${pin.setting} = ${pin.value} changed by an allowed function, the attack pipelined behind it in one write`, () => {
    test('simple protocol: Query(call) Query(attack)', async () => {
      const connection = await RawConnection.session(fixture.permissive.port);
      connection.write(Buffer.concat([serialize.query(call(pin)), serialize.query(dropAttack(pin))]));
      await assertBackstopWon(connection, pin);
      await assertVictimUntouched('simple protocol');
    });

    test('extended protocol without Sync: Parse/Bind/Execute(call) Parse/Bind/Execute(attack) Sync', async () => {
      const connection = await RawConnection.session(fixture.permissive.port);
      connection.write(Buffer.concat([...extended(call(pin)), ...extended(deleteAttack(pin)), serialize.sync()]));
      await assertBackstopWon(connection, pin);
      await assertVictimUntouched('extended without Sync');
    });

    test('extended protocol without Sync, then a simple Query: Parse/Bind/Execute(call) Query(attack)', async () => {
      const connection = await RawConnection.session(fixture.permissive.port);
      connection.write(Buffer.concat([...extended(call(pin)), serialize.query(dropAttack(pin))]));
      await assertBackstopWon(connection, pin);
      await assertVictimUntouched('extended, then Query');
    });

    test('extended protocol with Sync: Parse/Bind/Execute(call) Sync Parse/Bind/Execute(attack) Sync', async () => {
      const connection = await RawConnection.session(fixture.permissive.port);
      connection.write(Buffer.concat([...extended(call(pin)), serialize.sync(), ...extended(deleteAttack(pin)), serialize.sync()]));
      await assertBackstopWon(connection, pin);
      await assertVictimUntouched('extended with Sync');
    });
  });
}

describe('why ASCII text without a backslash is never held (lexing-barrier.ts)', () => {
  // Every ordered pair of bytes 0x01-0x7F: if any ASCII byte started a multi-byte character in the
  // encoding, some pair would convert to something else. The server lexes the converted text.
  const pairs: number[] = [];
  for (let a = 1; a < 0x80; a++) for (let b = 1; b < 0x80; b++) pairs.push(a, b);
  const ascii = Buffer.from(pairs);
  for (const encoding of CLIENT_ONLY_ENCODINGS) {
    test(`${encoding}: every pair of ASCII bytes converts to itself`, async () => {
      const { rows } = await fixture.direct("SELECT convert_from(decode($1, 'hex'), $2) = $3 AS same", [
        ascii.toString('hex'),
        encoding,
        ascii.toString('latin1'),
      ]);
      assert.equal(rows[0]?.same, true);
    });
  }
});

/** A raw connection straight to the server (startup done by node-postgres, then taken over): the reference. */
async function directConnection(): Promise<{ connection: RawConnection; client: pg.Client }> {
  const client = new pg.Client({ connectionString: fixture.server.connectionString('scram_user') });
  client.on('error', () => undefined);
  await client.connect();
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  socket.removeAllListeners('data');
  return { connection: RawConnection.adopt(socket), client };
}

/** What the agent sees, minus what differs between any two sessions (ParameterStatus, notices, error positions). */
function replies(frames: readonly BackendFrame[]): string[] {
  return frames
    .filter((frame) => frame.type !== 'S' && frame.type !== 'N')
    .map((frame) => (frame.type === 'E' ? `E:${errorFields(frame.payload).get('C')}` : `${frame.type}:${frame.payload.toString('hex')}`));
}

/** Frames until `count` ReadyForQuery; with 0, until none arrives for a while (after a Flush); with -1, until the server closes. */
async function read(connection: RawConnection, count: number): Promise<BackendFrame[]> {
  if (count > 0) return connection.untilReady(count);
  if (count < 0) return connection.untilClosed();
  return connection.untilQuiet(300);
}

describe('the barrier is invisible: the same replies as the server without the sidecar, and no wait for a Sync', () => {
  const sensitive = `SELECT 'é' AS accent, E'a\\\\b' AS backslash`;
  const cases: readonly { name: string; steps: readonly { bytes: Buffer; ready: number }[] }[] = [
    {
      name: 'simple protocol',
      steps: [{ bytes: Buffer.concat([serialize.query('SELECT public.airlock_noop()'), serialize.query(sensitive)]), ready: 2 }],
    },
    {
      name: 'extended, no Sync between (one Sync at the end)',
      steps: [{ bytes: Buffer.concat([...extended('SELECT public.airlock_noop()'), ...extended(sensitive), serialize.sync()]), ready: 1 }],
    },
    {
      name: 'extended, no Sync at all until the agent reads the replies (Flush)',
      steps: [
        { bytes: Buffer.concat([...extended('SELECT public.airlock_noop()'), ...extended(sensitive), serialize.flush()]), ready: 0 },
        { bytes: serialize.sync(), ready: 1 },
      ],
    },
    {
      name: 'extended, Sync between',
      steps: [
        {
          bytes: Buffer.concat([...extended('SELECT public.airlock_noop()'), serialize.sync(), ...extended(sensitive), serialize.sync()]),
          ready: 2,
        },
      ],
    },
    {
      name: 'extended, the first Execute fails: the server skips the held message to Sync, and so does the sidecar',
      steps: [
        { bytes: Buffer.concat([...extended('SELECT 1/0'), ...extended(sensitive), serialize.sync()]), ready: 1 },
        { bytes: Buffer.concat([...extended(sensitive), serialize.sync()]), ready: 1 },
      ],
    },
    {
      // The server ends such a session itself (08P01, synchronization lost); the sidecar must pass that on, not wait.
      name: 'a Query sent while the server waits for COPY data goes to the COPY, not held forever',
      steps: [{ bytes: Buffer.concat([serialize.query(`COPY ${VICTIM} FROM STDIN`), serialize.query(sensitive)]), ready: -1 }],
    },
  ];
  for (const { name, steps } of cases) {
    test(name, async () => {
      const direct = await directConnection();
      const agent = await RawConnection.session(fixture.audit.port);
      try {
        for (const step of steps) {
          direct.connection.write(step.bytes);
          agent.write(step.bytes);
          const expected = replies(await read(direct.connection, step.ready));
          assert.ok(expected.length > 0, 'the server answered');
          const got = replies(await read(agent, step.ready));
          // When the server closes, the sidecar adds its own FATAL 08006 (the target closed the connection) after the server's.
          assert.deepEqual(step.ready < 0 ? got.slice(0, expected.length) : got, expected);
        }
      } finally {
        direct.connection.close();
        agent.close();
      }
    });
  }
});
