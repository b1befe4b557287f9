import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlob, compileTableColumn } from './column-globs.ts';

test('exact names, prefixes, suffixes, ? and several *', () => {
  assert.equal(compileGlob('email')('email'), true);
  assert.equal(compileGlob('email')('emails'), false);
  assert.equal(compileGlob('*_email')('work_email'), true);
  assert.equal(compileGlob('*_email')('email'), false);
  assert.equal(compileGlob('card_*')('card_number'), true);
  assert.equal(compileGlob('*')('anything'), true);
  assert.equal(compileGlob('ssn?')('ssn1'), true);
  assert.equal(compileGlob('ssn?')('ssn'), false);
  assert.equal(compileGlob('*pass*word*')('old_password_hash'), true);
  assert.equal(compileGlob('a*b*c')('aXbYc'), true);
  assert.equal(compileGlob('a*b*c')('aXbYcZ'), false);
  assert.equal(compileGlob('a*?')('a'), false);
});

test('globs are compared lower-cased (callers lower-case names)', () => {
  assert.equal(compileGlob('*_EMAIL')('work_email'), true);
  assert.equal(compileGlob('Email')('email'), true);
});

test('a pathological glob stays fast (no regex backtracking)', () => {
  assert.equal(compileGlob(`${'*a'.repeat(20)}b`)('a'.repeat(63)), false);
});

test('tableColumns need exactly three non-empty parts', () => {
  const m = compileTableColumn('billing.*.card_number');
  assert.ok(m);
  assert.equal(m.schema('billing') && m.table('cards') && m.column('card_number'), true);
  assert.equal(m.schema('public'), false);
  assert.equal(compileTableColumn('customers.email'), null);
  assert.equal(compileTableColumn('a..b'), null);
  assert.equal(compileTableColumn('a.b.c.d'), null);
});
