import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MaskingInput } from '@airlock/contracts/masking';
import type { MaskingRule } from '@airlock/crds';
import { ProtocolError } from '../wire/errors.ts';
import { i16, i32, typed } from '../wire/testing/wire.ts';
import { compileMasking } from './compile-masking.ts';
import type { MaskColumn, RowMaskPlan } from './row-masker.ts';
import { column, dataRow, fieldsOf, textsOf } from './testing/data-row.ts';

const KEY = 'a 32-byte key for hashing tests!';
const OID = { int8: 20, text: 25, json: 114, varchar: 1043, timestamptz: 1184, jsonb: 3802 };

function planFor(rules: MaskingRule[], columns: MaskColumn[], extra: Partial<MaskingInput> = {}): RowMaskPlan | null {
  const { masker, errors } = compileMasking({ sets: [{ policyName: 'p', rules, hashKey: KEY }], ...extra });
  assert.deepEqual(errors, []);
  return masker.planFor(columns);
}

function mask(rules: MaskingRule[], columns: MaskColumn[], values: (string | Uint8Array | null)[], extra: Partial<MaskingInput> = {}) {
  const plan = planFor(rules, columns, extra);
  assert.ok(plan, 'expected a plan');
  const result = plan.maskRow(dataRow(values));
  return { ...result, texts: textsOf(result.frame), plan };
}

describe('strategies on whole columns', () => {
  const cols = [column('id'), column('email')];
  test('redact', () => {
    const { texts, masked } = mask([{ name: 'r', columns: ['email'] }], cols, ['1', 'bob@x.io']);
    assert.deepEqual(texts, ['1', '****']);
    assert.deepEqual(masked, [{ column: 'email', index: 1, rule: 'p/r', strategy: 'redact' }]);
  });
  test('partial', () => {
    const { texts } = mask([{ name: 'r', columns: ['email'], strategy: 'partial', keepFirst: 1, keepLast: 3 }], cols, ['1', 'bob@x.io']);
    assert.deepEqual(texts, ['1', 'b****.io']);
  });
  test('hash: same input same output, so joins still work', () => {
    const rules: MaskingRule[] = [{ name: 'r', columns: ['email'], strategy: 'hash' }];
    const a = mask(rules, cols, ['1', 'bob@x.io']).texts[1];
    const b = mask(rules, cols, ['2', 'bob@x.io']).texts[1];
    assert.match(a!, /^h:[0-9a-f]{16}$/);
    assert.equal(a, b);
    const other = compileMasking({ sets: [{ rules, hashKey: 'another key of at least 16 bytes' }] }).masker.planFor(cols)!;
    assert.notEqual(textsOf(other.maskRow(dataRow(['1', 'bob@x.io'])).frame)[1], a);
  });
  test('null', () => {
    const { texts, masked } = mask([{ name: 'r', columns: ['email'], strategy: 'null' }], cols, ['1', 'bob@x.io']);
    assert.deepEqual(texts, ['1', null]);
    assert.equal(masked[0]?.strategy, 'null');
  });
  test('SQL NULL stays NULL and is not recorded', () => {
    const row = dataRow(['1', null]);
    const result = planFor([{ name: 'r', columns: ['email'] }], cols)!.maskRow(row);
    assert.equal(result.frame, row);
    assert.deepEqual(result.masked, []);
  });
});

describe('column selectors', () => {
  test('globs are case-insensitive', () => {
    const plan = planFor([{ name: 'r', columns: ['*_EMAIL'] }], [column('Work_Email'), column('email'), column('home_email')])!;
    assert.deepEqual(plan.maskedColumns, [0, 2]);
  });

  test('tableColumns with a schema wildcard', () => {
    const cols = [
      column('card_number', { schema: 'billing', table: 'cards' }),
      column('card_number', { schema: 'public', table: 'cards' }),
      column('card_number', { schema: 'billing', table: 'old_cards' }),
    ];
    assert.deepEqual(planFor([{ name: 'r', tableColumns: ['*.cards.card_number'] }], cols)!.maskedColumns, [0, 1]);
    assert.deepEqual(planFor([{ name: 'r', tableColumns: ['billing.*.card_number'] }], cols)!.maskedColumns, [0, 2]);
    assert.deepEqual(planFor([{ name: 'r', tableColumns: ['PUBLIC.Cards.Card_Number'] }], cols)!.maskedColumns, [1]);
  });

  test('a column whose table is unknown is masked when the column part matches (fail closed)', () => {
    const plan = planFor([{ name: 'r', tableColumns: ['billing.cards.card_number'] }], [column('card_number'), column('other')])!;
    assert.deepEqual(plan.maskedColumns, [0]);
  });

  test('the first matching rule decides the strategy', () => {
    const { texts, masked } = mask(
      [
        { name: 'first', columns: ['email'], strategy: 'partial', keepLast: 3 },
        { name: 'second', columns: ['*'], strategy: 'null' },
      ],
      [column('email'), column('other')],
      ['bob@x.io', 'x'],
    );
    assert.deepEqual(texts, ['*****.io', null]);
    assert.deepEqual(
      masked.map((m) => m.rule),
      ['p/first', 'p/second'],
    );
  });

  test('no plan when no rule can apply to these columns', () => {
    assert.equal(planFor([{ name: 'r', columns: ['email'] }], [column('id'), column('name')]), null);
  });
});

describe('detectors and patterns mask spans inside values', () => {
  const note = [column('id', { typeOid: OID.int8 }), column('note')];

  test('an e-mail inside text, the rest kept', () => {
    const { texts, masked } = mask([], note, ['7', 'contact bob@x.io today'], { profile: 'pii' });
    assert.deepEqual(texts, ['7', 'contact **** today']);
    assert.deepEqual(masked, [{ column: 'note', index: 1, rule: 'profile:pii', strategy: 'redact' }]);
  });

  test('span strategies: partial and hash per span; null falls back to redact', () => {
    const text = 'card 4111 1111 1111 1111 on file';
    assert.deepEqual(
      mask([{ name: 'c', detectors: ['cardNumber'], strategy: 'partial', keepLast: 4 }], note, ['1', text]).texts[1],
      'card ***************1111 on file',
    );
    assert.match(
      mask([{ name: 'c', detectors: ['cardNumber'], strategy: 'hash' }], note, ['1', text]).texts[1]!,
      /^card h:[0-9a-f]{16} on file$/,
    );
    const nulled = mask([{ name: 'c', detectors: ['cardNumber'], strategy: 'null' }], note, ['1', text]);
    assert.equal(nulled.texts[1], 'card **** on file');
    assert.equal(nulled.masked[0]?.strategy, 'redact');
  });

  test('a span that is the whole value can be NULL', () => {
    assert.deepEqual(mask([{ name: 'c', detectors: ['email'], strategy: 'null' }], note, ['1', 'bob@x.io']).texts, ['1', null]);
  });

  test('a custom pattern, and a mask group that keeps its context', () => {
    assert.deepEqual(
      mask([{ name: 'phone', patterns: ['\\+44 ?\\d{4} ?\\d{6}'] }], note, ['1', 'ring +44 7700 900123 now']).texts[1],
      'ring **** now',
    );
    assert.deepEqual(
      mask([{ name: 'pw', patterns: ['password=(?P<mask>\\S+)'] }], note, ['1', 'url?user=a&password=hunter2 x']).texts[1],
      'url?user=a&password=**** x',
    );
  });

  test('overlapping spans merge; the first rule decides', () => {
    const { texts, masked } = mask(
      [
        { name: 'domain', patterns: ['@[a-z.]+'], strategy: 'redact' },
        { name: 'mail', detectors: ['email'], strategy: 'hash' },
      ],
      note,
      ['1', 'to bob@x.io!'],
    );
    assert.deepEqual(texts[1], 'to ****!');
    assert.deepEqual(
      masked.map((m) => m.rule),
      ['p/domain'],
    );
  });

  test('detectors run on every text-format column, whatever its type', () => {
    assert.deepEqual(mask([], [column('n', { typeOid: OID.int8 })], ['4111111111111111'], { profile: 'pii' }).texts, ['****']);
  });

  test('a column rule wins over span rules on its column; spans still apply elsewhere', () => {
    const { texts } = mask(
      [
        { name: 'spans', detectors: ['email'], strategy: 'hash' },
        { name: 'notes', columns: ['note'], strategy: 'redact' },
      ],
      [column('note'), column('other')],
      ['bob@x.io', 'mail bob@x.io'],
    );
    assert.equal(texts[0], '****');
    assert.match(texts[1]!, /^mail h:[0-9a-f]{16}$/);
  });
});

describe('JSON columns stay valid JSON', () => {
  test('a whole json or jsonb value becomes a JSON string', () => {
    const cols = [column('doc', { typeOid: OID.json }), column('docb', { typeOid: OID.jsonb })];
    const { texts } = mask([{ name: 'r', columns: ['doc*'] }], cols, ['{"a":1}', '{"a": 1}']);
    assert.deepEqual(texts, ['"****"', '"****"']);
  });

  test('spans inside strings are replaced in place; a span outside a string becomes a string', () => {
    const { texts } = mask([], [column('doc', { typeOid: OID.jsonb })], ['{"mail": "bob@x.io", "card": 4111111111111111}'], {
      profile: 'pii',
    });
    assert.equal(texts[0], '{"mail": "****", "card": "****"}');
    assert.deepEqual(JSON.parse(texts[0]!), { mail: '****', card: '****' });
  });

  test('a pattern that breaks the JSON hides the whole value', () => {
    const { texts, masked } = mask(
      [{ name: 'r', patterns: ['"b": '], strategy: 'hash' }],
      [column('doc', { typeOid: OID.json })],
      ['{"a": 1, "b": 2}'],
    );
    assert.deepEqual(texts, ['"****"']);
    assert.equal(masked[0]?.strategy, 'redact');
  });
});

describe('binary format', () => {
  test('text-like binary types are masked like text; binary jsonb keeps its version byte', () => {
    const cols = [column('v', { typeOid: OID.varchar, format: 1 }), column('j', { typeOid: OID.jsonb, format: 1 })];
    const jsonb = Buffer.concat([Buffer.from([1]), Buffer.from('{"m": "bob@x.io"}')]);
    const { frame, nulledBinary } = mask([], cols, ['mail bob@x.io', jsonb], { profile: 'pii' });
    const [v, j] = fieldsOf(frame);
    assert.equal(v?.toString(), 'mail ****');
    assert.deepEqual(j, Buffer.concat([Buffer.from([1]), Buffer.from('{"m": "****"}')]));
    assert.equal(nulledBinary, 0);
  });

  test('an undecodable binary type selected by a rule is nulled and counted, not listed as masked', () => {
    const eight = Buffer.alloc(8, 7);
    const cols = [column('created', { typeOid: OID.timestamptz, format: 1 }), column('n', { typeOid: OID.int8, format: 1 })];
    const { frame, nulledBinary, masked } = mask([{ name: 'r', columns: ['created'] }], cols, [eight, eight]);
    assert.deepEqual(fieldsOf(frame), [null, eight]);
    assert.equal(nulledBinary, 1);
    assert.deepEqual(masked, []);
  });

  test('with detectors active every undecodable binary value is nulled and counted', () => {
    const eight = Buffer.alloc(8, 7);
    const cols = [column('n', { typeOid: OID.int8, format: 1 }), column('t', { typeOid: OID.text, format: 1 })];
    const { frame, nulledBinary } = mask([], cols, [eight, 'plain'], { profile: 'strict' });
    assert.deepEqual(textsOf(frame), [null, 'plain']);
    assert.equal(nulledBinary, 1);
  });

  test('strategy null on a binary column is a normal mask', () => {
    const { nulledBinary, masked } = mask(
      [{ name: 'r', columns: ['n'], strategy: 'null' }],
      [column('n', { typeOid: OID.int8, format: 1 })],
      [Buffer.alloc(8)],
    );
    assert.equal(nulledBinary, 0);
    assert.equal(masked[0]?.strategy, 'null');
  });

  test('binary jsonb with an unknown version byte is nulled', () => {
    const { texts, nulledBinary } = mask(
      [{ name: 'r', columns: ['j'] }],
      [column('j', { typeOid: OID.jsonb, format: 1 })],
      [Buffer.from([2, 0x7b, 0x7d])],
    );
    assert.deepEqual(texts, [null]);
    assert.equal(nulledBinary, 1);
  });
});

describe('rows', () => {
  test('a row with nothing to mask is returned as the same Buffer', () => {
    const plan = planFor([{ name: 'r', detectors: ['email', 'cardNumber', 'jwt', 'apiKey'] }], [column('a'), column('b')])!;
    const row = dataRow(['nothing here', null]);
    const result = plan.maskRow(row);
    assert.equal(result.frame, row);
    assert.deepEqual(result.masked, []);
    assert.equal(result.nulledBinary, 0);
  });

  test('a masked row is a new, correctly length-prefixed DataRow; the input is untouched', () => {
    const row = dataRow(['bob@x.io', 'x', null]);
    const copy = Buffer.from(row);
    const result = planFor([{ name: 'r', columns: ['a'] }], [column('a'), column('b'), column('c')])!.maskRow(row);
    assert.deepEqual(result.frame, typed('D', i16(3), i32(4), Buffer.from('****'), i32(1), Buffer.from('x'), i32(-1)));
    assert.deepEqual(row, copy);
  });

  test('a frame that is a view into a larger chunk', () => {
    const row = dataRow(['bob@x.io']);
    const chunk = Buffer.concat([Buffer.from('junk'), row, Buffer.from('more')]);
    const view = chunk.subarray(4, 4 + row.length);
    const result = planFor([{ name: 'r', columns: ['a'] }], [column('a')])!.maskRow(view);
    assert.deepEqual(textsOf(result.frame), ['****']);
  });

  test('malformed rows and rows that do not fit the RowDescription are protocol errors', () => {
    const plan = planFor([{ name: 'r', columns: ['a'] }], [column('a'), column('b')])!;
    const isMalformed = (e: unknown) => e instanceof ProtocolError && e.code === 'MessageMalformed';
    assert.throws(() => plan.maskRow(dataRow(['only one'])), isMalformed);
    assert.throws(() => plan.maskRow(typed('D', i16(2), i32(5), Buffer.from('ab'))), isMalformed);
    assert.throws(() => plan.maskRow(typed('D', i16(2), i32(-2), i32(-1))), isMalformed);
    assert.throws(() => plan.maskRow(typed('D', i16(2), i32(-1), i32(-1), Buffer.from('x'))), isMalformed);
    assert.throws(() => plan.maskRow(typed('C', i16(2), i32(-1), i32(-1))), isMalformed);
    const lying = dataRow([null, null]);
    lying.writeInt32BE(100, 1);
    assert.throws(() => plan.maskRow(lying), isMalformed);
  });
});

describe('mask group syntax', () => {
  test('(?<mask>...) works like (?P<mask>...)', () => {
    const { texts } = mask([{ name: 'pw', patterns: ['secret: (?<mask>\\w+)'] }], [column('note')], ['secret: hunter2!']);
    assert.deepEqual(texts, ['secret: ****!']);
  });
});
