/**
 * The settings airlock pins (sql/pinned-settings.ts), attacked for real: for every client-only
 * encoding and for standard_conforming_strings off, every way to change the setting is refused
 * before policy (0A000, naming the setting), even under a policy that allows everything but DDL
 * and deletes and in audit mode; the session stays usable and pinned; then the attack that the
 * change would have enabled is sent and the server shows it ran nothing forbidden: the sidecar
 * and the server read the same one string literal. (docs/adr/0014-pinned-lexing-settings.md)
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type pg from 'pg';
import { PINNED_SETTINGS, type PinnedSettingName } from '../../sql/pinned-settings.ts';
import { errorFields, RawConnection, sqlError, startupPacket } from '../raw-session.ts';
import { type HostileFixture, startHostileFixture } from './hostile-fixture.ts';
import { CLIENT_ONLY_ENCODINGS, encodingAttack, STANDARD_STRINGS_ATTACK, SWALLOWS_BACKSLASH } from './lexing-attacks.ts';

/** A pinned setting, a value off the pin, and the attack that value would enable. */
interface Pin {
  readonly setting: PinnedSettingName;
  readonly value: string;
  readonly attack: { readonly sql: string; readonly literal: string };
}

/** One way to change a setting, run through the sidecar as the agent. */
interface Way {
  readonly name: string;
  readonly attempt: (c: pg.Client, pin: Pin) => Promise<unknown>;
  /** The statement names its setting only at run time: the refusal says it could be either. */
  readonly unreadable?: boolean;
  /** It would take effect on a later connection. */
  readonly later?: boolean;
  readonly inTransaction?: boolean;
  readonly only?: PinnedSettingName;
}

const WAYS: readonly Way[] = [
  { name: "SET s = 'v'", attempt: (c, p) => c.query(`SET ${p.setting} = '${p.value}'`) },
  { name: 'SET s TO v', attempt: (c, p) => c.query(`SET ${p.setting} TO ${p.value}`) },
  { name: 'SET SESSION', attempt: (c, p) => c.query(`SET SESSION ${p.setting} = '${p.value}'`) },
  { name: 'SET LOCAL in a transaction', attempt: (c, p) => c.query(`SET LOCAL ${p.setting} = '${p.value}'`), inTransaction: true },
  { name: "SET NAMES 'v'", attempt: (c, p) => c.query(`SET NAMES '${p.value}'`), only: 'client_encoding' },
  { name: 'SET "S" (quoted, upper case)', attempt: (c, p) => c.query(`SET "${p.setting.toUpperCase()}" = '${p.value}'`) },
  { name: 'set_config in a SELECT list', attempt: (c, p) => c.query(`SELECT set_config('${p.setting}', '${p.value}', false)`) },
  {
    name: 'set_config in a WHERE clause',
    attempt: (c, p) => c.query(`SELECT 1 WHERE set_config('${p.setting}', '${p.value}', false) IS NOT NULL`),
  },
  {
    name: 'set_config in a CTE',
    attempt: (c, p) => c.query(`WITH s AS (SELECT set_config('${p.setting}', '${p.value}', false)) SELECT * FROM s`),
  },
  {
    name: 'set_config in a multi-statement Query',
    attempt: (c, p) => c.query(`SELECT 1; SELECT pg_catalog.set_config('${p.setting}', '${p.value}', false); SELECT 2`),
  },
  {
    name: 'set_config($1, $2) with bound parameters (extended protocol)',
    attempt: (c, p) => c.query('SELECT set_config($1, $2, false)', [p.setting, p.value]),
    unreadable: true,
  },
  {
    name: 'set_config(name, $1) with a bound value',
    attempt: (c, p) => c.query(`SELECT set_config('${p.setting}', $1, false)`, [p.value]),
  },
  {
    name: 'a named prepared SET (extended protocol)',
    attempt: (c, p) => c.query({ name: `pinned-${p.setting}`, text: `SET ${p.setting} = '${p.value}'` }),
  },
  {
    name: 'PREPARE ... AS SELECT set_config',
    attempt: (c, p) => c.query(`PREPARE switch AS SELECT set_config('${p.setting}', '${p.value}', false)`),
  },
  {
    name: 'UPDATE pg_settings',
    attempt: (c, p) => c.query(`UPDATE pg_settings SET setting = '${p.value}' WHERE name = '${p.setting}'`),
    unreadable: true,
  },
  {
    name: 'ALTER ROLE CURRENT_USER SET',
    attempt: (c, p) => c.query(`ALTER ROLE CURRENT_USER SET ${p.setting} = '${p.value}'`),
    later: true,
  },
  { name: 'ALTER DATABASE SET', attempt: (c, p) => c.query(`ALTER DATABASE airlock_test SET ${p.setting} = '${p.value}'`), later: true },
];

const PINS: readonly Pin[] = [
  ...CLIENT_ONLY_ENCODINGS.map((encoding): Pin => ({ setting: 'client_encoding', value: encoding, attack: encodingAttack(encoding) })),
  { setting: 'standard_conforming_strings', value: 'off', attack: STANDARD_STRINGS_ATTACK },
];

let fixture: HostileFixture;

before(async () => {
  fixture = await startHostileFixture();
  await fixture.superuser(`CREATE FUNCTION public.airlock_switch(setting text, value text) RETURNS text LANGUAGE plpgsql
    AS $$ BEGIN RETURN set_config(setting, value, false); END $$`);
});

after(async () => {
  await fixture?.close();
});

beforeEach(async () => {
  await fixture.resetVictim();
});

afterEach(async () => {
  // A regression could have stored the setting for later sessions; the next test starts clean.
  await fixture.superuser('ALTER ROLE scram_user RESET ALL; ALTER DATABASE airlock_test RESET ALL');
});

const pinnedValue = (setting: PinnedSettingName): string => PINNED_SETTINGS.get(setting)?.value ?? '';

async function assertPinned(c: pg.Client, setting: PinnedSettingName): Promise<void> {
  const { rows } = await c.query(`SHOW ${setting}`);
  assert.equal(rows[0]?.[setting], pinnedValue(setting), `${setting} through the sidecar`);
}

/** Sends the attack; the server must read one literal, as the sidecar did. */
async function assertAttackReadAsOneLiteral(c: pg.Client, pin: Pin): Promise<void> {
  const result = await c.query(pin.attack.sql);
  assert.equal(result.rows[0]?.['?column?'], pin.attack.literal, 'the server read the bytes as the sidecar did');
}

function assertRefused(error: { code: string; message: string; hint?: string }, pin: Pin, unreadable: boolean): void {
  assert.equal(error.code, '0A000', error.message);
  const expected = unreadable
    ? /airlock: the statement names a setting only at run time .* could change client_encoding or standard_conforming_strings, which airlock pins/
    : new RegExp(`airlock: ${pin.setting} is pinned to ${pinnedValue(pin.setting)} by airlock`);
  assert.match(error.message, expected);
  assert.match(error.hint ?? '', /airlock classifies each statement as UTF-8/);
}

for (const pin of PINS) {
  describe(`${pin.setting} = ${pin.value}`, () => {
    for (const way of WAYS.filter((w) => w.only === undefined || w.only === pin.setting)) {
      test(`${way.name} is refused before policy; the attack after it runs nothing forbidden`, async () => {
        const c = await fixture.agent();
        let later: pg.Client | undefined;
        try {
          if (way.inTransaction) await c.query('BEGIN');
          assertRefused(await sqlError(way.attempt(c, pin)), pin, way.unreadable === true);
          if (way.inTransaction) {
            // The refusal failed the transaction, as a server error would: the attack runs nothing.
            assert.equal((await sqlError(c.query(pin.attack.sql))).code, '25P02');
            await c.query('ROLLBACK');
          }
          if (way.later) later = await fixture.agent();
          const session = later ?? c;
          await assertPinned(session, pin.setting);
          await assertAttackReadAsOneLiteral(session, pin);
        } finally {
          await c.end();
          await later?.end();
        }
        await fixture.assertVictimIntact(way.name);
      });
    }

    test('in audit mode the change is refused too', async () => {
      const c = await fixture.agent(fixture.audit);
      try {
        assertRefused(await sqlError(c.query(`SET ${pin.setting} = '${pin.value}'`)), pin, false);
        assertRefused(await sqlError(c.query(`SELECT set_config('${pin.setting}', '${pin.value}', false)`)), pin, false);
        await assertPinned(c, pin.setting);
        await assertAttackReadAsOneLiteral(c, pin);
      } finally {
        await c.end();
      }
      await fixture.assertVictimIntact('audit mode');
    });

    test('as a startup parameter it is refused with a FATAL that says the setting is pinned', async () => {
      const connection = await RawConnection.open(fixture.permissive.port);
      connection.write(startupPacket({ user: 'agent', database: 'x', [pin.setting]: pin.value }));
      const error = (await connection.untilClosed()).find((frame) => frame.type === 'E');
      assert.ok(error, 'an ErrorResponse');
      const fields = errorFields(error.payload);
      assert.equal(fields.get('S'), 'FATAL');
      assert.match(fields.get('M') ?? '', new RegExp(`airlock pins ${pin.setting} to ${pinnedValue(pin.setting)}`));
    });

    for (const level of ['ROLE scram_user', 'DATABASE airlock_test'] as const) {
      test(`set by ALTER ${level} on the server: sessions start pinned, and RESET, DEFAULT, RESET ALL, DISCARD ALL, FROM CURRENT return to the pin`, async () => {
        await fixture.superuser(`ALTER ${level} SET ${pin.setting} = '${pin.value}'`);
        const c = await fixture.agent();
        try {
          await assertPinned(c, pin.setting);
          for (const reset of [
            `RESET ${pin.setting}`,
            `SET ${pin.setting} TO DEFAULT`,
            'RESET ALL',
            'DISCARD ALL',
            `SET ${pin.setting} FROM CURRENT`,
          ]) {
            await c.query(reset);
            await assertPinned(c, pin.setting);
            await assertAttackReadAsOneLiteral(c, pin);
          }
        } finally {
          await c.end();
        }
        await fixture.assertVictimIntact(`ALTER ${level}`);
      });
    }

    for (const [how, sql] of [
      ['a function the policy allows', `SELECT public.airlock_switch('${pin.setting}', '${pin.value}')`],
      ['a DO block', `DO $$ BEGIN PERFORM set_config('${pin.setting}', '${pin.value}', false); END $$`],
    ] as const) {
      test(`changed inside ${how} (code the classifier cannot see into): the session ends, the next one is pinned`, async () => {
        const c = await fixture.agent();
        try {
          const error = await sqlError(c.query(sql));
          assert.equal(error.code, '0A000', error.message);
          assert.equal(error.severity, 'FATAL');
          assert.match(error.message, new RegExp(`the target reports ${pin.setting} = .*which airlock pins`));
        } finally {
          await c.end().catch(() => undefined);
        }
        const next = await fixture.agent();
        try {
          await assertPinned(next, pin.setting);
          await assertAttackReadAsOneLiteral(next, pin);
        } finally {
          await next.end();
        }
        await fixture.assertVictimIntact(how);
      });
    }
  });
}

describe('text that is not valid UTF-8 is refused before policy, never classified with replacement characters', () => {
  // The SJIS attack as bytes: to Node, 0x83 is an invalid byte that decodes to U+FFFD.
  const sjisAttack = Buffer.concat([Buffer.from("SELECT E'"), Buffer.from([0x83, 0x5c]), Buffer.from("'; DROP TABLE victim; --'")]);
  const message = (type: string, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts);
    const header = Buffer.alloc(5);
    header.write(type, 0, 'latin1');
    header.writeInt32BE(4 + body.length, 1);
    return Buffer.concat([header, body]);
  };
  const nul = Buffer.from([0]);

  for (const [protocol, bytes] of [
    ['a Query', message('Q', sjisAttack, nul)],
    ['a Parse', Buffer.concat([message('P', nul, sjisAttack, nul, Buffer.from([0, 0])), message('S')])],
  ] as const) {
    test(`${protocol}: 22021, the session stays usable, nothing ran`, async () => {
      const connection = await RawConnection.session(fixture.audit.port);
      try {
        connection.write(bytes);
        const frames = await connection.untilReady();
        const error = frames.find((frame) => frame.type === 'E');
        assert.ok(error, `an ErrorResponse, got ${frames.map((f) => f.type).join('')}`);
        const fields = errorFields(error.payload);
        assert.equal(fields.get('C'), '22021');
        assert.match(fields.get('M') ?? '', /airlock: the statement text is not valid UTF-8/);
        connection.write(message('Q', Buffer.from('SELECT 1'), nul));
        assert.ok(
          (await connection.untilReady()).some((frame) => frame.type === 'D'),
          'the next statement runs',
        );
      } finally {
        connection.close();
      }
      await fixture.assertVictimIntact(protocol);
    });
  }
});

describe('the attack bytes are real', () => {
  const backslashAt = "SELECT position('\\' in convert_from(decode($1, 'hex'), $2)) AS backslash";
  for (const encoding of CLIENT_ONLY_ENCODINGS) {
    const swallower = SWALLOWS_BACKSLASH[encoding];
    if (swallower !== undefined) {
      test(`${encoding}: the server reads the backslash after ${JSON.stringify(swallower)} inside a character`, async () => {
        const bytes = Buffer.from(`${swallower}\\`, 'utf8').toString('hex');
        assert.equal((await fixture.direct(backslashAt, [bytes, encoding])).rows[0]?.backslash, 0);
      });
    } else {
      test(`${encoding}: the server refuses every character whose second byte is a backslash, so no attack bytes exist`, async () => {
        for (let lead = 0x81; lead <= 0xfe; lead++) {
          const bytes = Buffer.from([lead, 0x5c]).toString('hex');
          const error = await sqlError(fixture.direct(backslashAt, [bytes, encoding]));
          assert.ok(['22021', '22P05'].includes(error.code), `${encoding} 0x${bytes}: ${error.code} ${error.message}`);
        }
      });
    }
  }
});
