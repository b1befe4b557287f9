import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MaskingProfile } from '@airlock/contracts/masking';
import type { MaskingRule } from '@airlock/crds';
import fc from 'fast-check';
import { dataRowFields, encodeDataRow } from '../wire/backend-messages.ts';
import { compileMasking } from './compile-masking.ts';
import type { MaskColumn } from './row-masker.ts';
import { dataRow, fieldsOf, textsOf } from './testing/data-row.ts';

const KEY = 'property-test hash key, 32 bytes';

const RULES: MaskingRule[] = [
  { name: 'mail-col', columns: ['*mail*'], strategy: 'partial', keepFirst: 2, keepLast: 2 },
  { name: 'ids', columns: ['id'], strategy: 'null' },
  { name: 'cards', tableColumns: ['*.cards.number'], strategy: 'hash' },
  { name: 'notes', columns: ['note'] },
  { name: 'mail-spans', detectors: ['email'], strategy: 'hash' },
  { name: 'card-spans', detectors: ['cardNumber'], strategy: 'partial', keepLast: 4 },
  { name: 'secret-spans', detectors: ['apiKey', 'jwt', 'privateKey', 'nationalId'], strategy: 'null' },
  { name: 'pattern', patterns: ['(a+)+b', 'pw=(?P<mask>\\S+)', '"'] },
];
const SECRETS = [
  'bob@x.io',
  '4111 1111 1111 1111',
  '5555555555554444',
  '123-45-6789',
  `ghp_${'x'.repeat(36)}`,
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
  '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
];
const NAMES = ['id', 'email', 'work_mail', 'number', 'note', 'doc', 'misc'];
const TYPES = [25, 20, 114, 1043, 1184, 3802];

const valueArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...SECRETS, '{"a": "bob@x.io", "n": 4111111111111111}', 'aaaab', 'pw=hunter2'),
  fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...SECRETS), fc.string({ maxLength: 10 })).map(([a, s, b]) => `${a} ${s} ${b}`),
);
const columnArb: fc.Arbitrary<MaskColumn> = fc.record(
  {
    name: fc.constantFrom(...NAMES),
    schema: fc.constantFrom('public', 'billing'),
    table: fc.constantFrom('cards', 'users'),
    typeOid: fc.constantFrom(...TYPES),
    format: fc.constantFrom(0 as const, 1 as const),
  },
  { requiredKeys: ['name', 'typeOid', 'format'] },
);
const caseArb = fc
  .record({
    rules: fc.subarray(RULES),
    profile: fc.constantFrom<MaskingProfile>('none', 'pii', 'secrets', 'strict'),
    columns: fc.array(columnArb, { minLength: 1, maxLength: 6 }),
    rows: fc.array(fc.array(fc.option(valueArb, { nil: null }), { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
  })
  .map((c) => ({ ...c, rows: c.rows.map((row) => row.slice(0, c.columns.length)) }));

test('masked rows are well-formed DataRows of the same shape that the codec round-trips', () => {
  fc.assert(
    fc.property(caseArb, ({ rules, profile, columns, rows }) => {
      const { masker, errors } = compileMasking({ sets: [{ policyName: 'p', rules, hashKey: KEY }], profile });
      assert.deepEqual(errors, []);
      const plan = masker.planFor(columns);
      const spanRules = profile !== 'none' || rules.some((rule) => rule.detectors || rule.patterns);
      for (const values of rows) {
        const input = dataRow(values);
        if (plan === null) continue;
        const { frame } = plan.maskRow(input);
        assert.equal(frame[0], 0x44);
        assert.equal(frame.readInt32BE(1), frame.length - 1, 'length prefix');
        assert.equal(frame.readInt16BE(5), values.length, 'field count');
        // Walk the field length prefixes by hand: each must fit and together they must fill the frame.
        let pos = 7;
        for (let i = 0; i < values.length; i++) {
          const length = frame.readInt32BE(pos);
          assert.ok(length >= -1);
          pos += 4 + Math.max(length, 0);
          assert.ok(pos <= frame.length, 'field inside the frame');
        }
        assert.equal(pos, frame.length, 'fields fill the frame');
        const fields = dataRowFields({ code: frame[0]!, payload: frame.subarray(5), raw: frame });
        assert.deepEqual(encodeDataRow(fields), frame, 'codec round trip');
        // Masking never turns NULL into a value; without span rules, only the planned columns change.
        const before = fieldsOf(input);
        const after = fieldsOf(frame);
        for (let i = 0; i < values.length; i++) {
          if (before[i] === null) assert.equal(after[i], null);
          if (!spanRules && !plan.maskedColumns.includes(i)) assert.deepEqual(after[i], before[i]);
        }
      }
    }),
    { numRuns: 400 },
  );
});

test('detected secrets separated by spaces never survive the matching profile', () => {
  const masker = compileMasking({ sets: [], profile: 'strict' }).masker;
  const plan = masker.planFor([{ name: 'free_text', typeOid: 25, format: 0 }])!;
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom(...SECRETS),
      fc.string({ unit: 'binary', maxLength: 30 }),
      (a, secret, b) => {
        const [out] = textsOf(plan.maskRow(dataRow([`${a} ${secret} ${b}`])).frame);
        assert.ok(typeof out === 'string' && !out.includes(secret), `${JSON.stringify(secret)} survived in ${JSON.stringify(out)}`);
      },
    ),
    { numRuns: 500 },
  );
});
