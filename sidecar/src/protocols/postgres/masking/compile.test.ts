import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MaskingRuleError } from '@airlock/contracts/masking';
import type { MaskingRule } from '@airlock/crds';
import { compileMasking } from './compile-masking.ts';
import { column, dataRow, textsOf } from './testing/data-row.ts';

const KEY = 'k'.repeat(32);

function errorsOf(rules: MaskingRule[], hashKey?: string): MaskingRuleError[] {
  return compileMasking({ sets: [{ policyName: 'p', rules, ...(hashKey === undefined ? {} : { hashKey }) }] }).errors;
}

function onlyError(rule: MaskingRule, hashKey?: string): MaskingRuleError {
  const errors = errorsOf([rule], hashKey);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  return errors[0]!;
}

describe('rule errors say which rule, which field and what to do', () => {
  test('lookaround is refused by RE2 and reported', () => {
    const error = onlyError({ name: 'look', patterns: ['(?=x)'] });
    assert.deepEqual({ policy: error.policy, rule: error.rule, field: error.field }, { policy: 'p', rule: 'look', field: 'patterns[0]' });
    assert.match(error.message, /lookahead or lookbehind.*\(\?P<mask>/);
    assert.match(onlyError({ name: 'behind', patterns: ['(?<=x)y'] }).message, /lookahead or lookbehind/);
    assert.match(onlyError({ name: 'neg', patterns: ['(?!x)'] }).message, /lookahead or lookbehind/);
  });

  test('backreferences are refused by RE2 and reported', () => {
    const error = onlyError({ name: 'backref', patterns: ['ok', '\\1'] });
    assert.equal(error.field, 'patterns[1]');
    assert.match(error.message, /backreferences/);
  });

  test('a malformed pattern points at the RE2 syntax', () => {
    assert.match(onlyError({ name: 'bad', patterns: ['[a-'] }).message, /not a valid RE2 expression.*re2\/wiki\/Syntax/);
    assert.match(onlyError({ name: 'empty', patterns: [''] }).message, /empty/);
  });

  test('hash without a key, and with a short key', () => {
    const missing = onlyError({ name: 'h', columns: ['email'], strategy: 'hash' });
    assert.equal(missing.field, 'strategy');
    assert.match(missing.message, /hashKeySecretRef/);
    assert.match(onlyError({ name: 'h', columns: ['email'], strategy: 'hash' }, 'short').message, /at least 16/);
    assert.deepEqual(errorsOf([{ name: 'h', columns: ['email'], strategy: 'hash' }], KEY), []);
  });

  test('partial without keepFirst/keepLast, and with bad counts', () => {
    assert.match(onlyError({ name: 'p', columns: ['x'], strategy: 'partial' }).message, /keepFirst and\/or keepLast/);
    assert.match(onlyError({ name: 'p', columns: ['x'], strategy: 'partial', keepFirst: 0, keepLast: 0 }).message, /keeps nothing/);
    assert.equal(onlyError({ name: 'p', columns: ['x'], strategy: 'partial', keepFirst: -1, keepLast: 2 }).field, 'keepFirst');
    assert.equal(onlyError({ name: 'p', columns: ['x'], strategy: 'partial', keepLast: 1.5 }).field, 'keepLast');
  });

  test('a rule that selects nothing', () => {
    const error = onlyError({ name: 'nothing', strategy: 'redact' });
    assert.match(error.message, /selects nothing.*columns, tableColumns, detectors or patterns/);
  });

  test('selectors that cannot match as written', () => {
    assert.match(onlyError({ name: 'dot', columns: ['customers.email'] }).message, /tableColumns.*\*\.customers\.email/);
    assert.equal(onlyError({ name: 'tc', tableColumns: ['customers.email'] }).field, 'tableColumns[0]');
    assert.equal(onlyError({ name: 'empty', columns: [''] }).field, 'columns[0]');
    const unknown = onlyError({ name: 'det', detectors: ['iban' as 'email'] });
    assert.equal(unknown.field, 'detectors[0]');
    assert.match(unknown.message, /email, cardNumber/);
  });

  test('unnamed and duplicate rules', () => {
    assert.equal(onlyError({ name: '', columns: ['x'] }).field, 'name');
    const duplicate = errorsOf([
      { name: 'same', columns: ['a'] },
      { name: 'same', columns: ['b'] },
    ]);
    assert.equal(duplicate.length, 1);
    assert.equal(duplicate[0]!.field, 'name');
  });

  test('every problem of a rule is reported at once', () => {
    const errors = errorsOf([{ name: 'many', patterns: ['(?!x)'], strategy: 'hash', tableColumns: ['x'] }]);
    assert.deepEqual(errors.map((e) => e.field).sort(), ['patterns[0]', 'strategy', 'tableColumns[0]']);
  });
});

describe('compiled rules', () => {
  test('a bad rule is dropped and the others still apply', () => {
    const { masker, errors } = compileMasking({
      sets: [
        {
          policyName: 'p',
          rules: [
            { name: 'bad', columns: ['a'], patterns: ['(?=x)'] },
            { name: 'good', columns: ['b'] },
          ],
        },
      ],
    });
    assert.equal(errors.length, 1);
    const plan = masker.planFor([column('a'), column('b')]);
    assert.ok(plan);
    assert.deepEqual(plan.maskedColumns, [1]);
    assert.deepEqual(textsOf(plan.maskRow(dataRow(['x', 'y'])).frame), ['x', '****']);
  });

  test('a catastrophic-backtracking pattern runs in linear time under RE2', () => {
    const { masker, errors } = compileMasking({ sets: [{ rules: [{ name: 'evil', patterns: ['(a+)+$'] }] }] });
    assert.deepEqual(errors, []);
    const plan = masker.planFor([column('note')])!;
    // Both complete (a backtracking engine would take hours on the first); no match because of the '!'.
    for (const value of ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', `${'a'.repeat(5000)}!`]) {
      const row = dataRow([value]);
      assert.equal(plan.maskRow(row).frame, row);
    }
    assert.deepEqual(textsOf(plan.maskRow(dataRow(['xaaa'])).frame), ['x****']);
  });

  test('rule names are qualified by policy; rules from several policies keep their order; the profile comes last', () => {
    const { masker, errors } = compileMasking({
      sets: [
        { policyName: 'first', rules: [{ name: 'emails', detectors: ['email'], strategy: 'hash' }], hashKey: KEY },
        { policyName: 'second', rules: [{ name: 'emails', detectors: ['email'], strategy: 'redact' }] },
      ],
      profile: 'pii',
    });
    assert.deepEqual(errors, []);
    const result = masker.planFor([column('note')])!.maskRow(dataRow(['mail bob@x.io or 4111 1111 1111 1111']));
    assert.match(textsOf(result.frame)[0]!, /^mail h:[0-9a-f]{16} or \*\*\*\*$/);
    assert.deepEqual(
      result.masked.map((m) => m.rule),
      ['first/emails', 'profile:pii'],
    );
  });

  test('profiles: none masks nothing, secrets masks tokens, strict masks both', () => {
    assert.equal(compileMasking({ sets: [], profile: 'none' }).masker.planFor([column('x')]), null);
    assert.equal(compileMasking({ sets: [] }).masker.planFor([column('x')]), null);
    const text = `bob@x.io ghp_${'a'.repeat(36)}`;
    const secrets = compileMasking({ sets: [], profile: 'secrets' }).masker.planFor([column('x')])!;
    assert.deepEqual(textsOf(secrets.maskRow(dataRow([text])).frame), ['bob@x.io ****']);
    const strict = compileMasking({ sets: [], profile: 'strict' }).masker.planFor([column('x')])!;
    assert.deepEqual(textsOf(strict.maskRow(dataRow([text])).frame), ['**** ****']);
    assert.equal(compileMasking({ sets: [], profile: 'paranoid' as 'pii' }).errors[0]?.field, 'maskingProfile');
    assert.equal(compileMasking({ sets: [], profile: 'constructor' as 'pii' }).errors[0]?.field, 'maskingProfile');
  });
});
