import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqlClassifier } from './classifier.ts';
import { pinnedValueHolds } from './pinned-settings.ts';

const CHANGES: readonly [string, string][] = [
  ["SET client_encoding = 'SJIS'", 'client_encoding'],
  ['SET client_encoding TO big5', 'client_encoding'],
  ["SET SESSION client_encoding = 'GBK'", 'client_encoding'],
  ["SET LOCAL client_encoding = 'GB18030'", 'client_encoding'],
  ["SET NAMES 'UHC'", 'client_encoding'],
  ['SET "CLIENT_ENCODING" = \'JOHAB\'', 'client_encoding'],
  ["SET client_encoding = 'UTF8', 'SJIS'", 'client_encoding'],
  ['SET standard_conforming_strings = off', 'standard_conforming_strings'],
  ['SET standard_conforming_strings TO false', 'standard_conforming_strings'],
  ["SELECT set_config('client_encoding', 'SJIS', false)", 'client_encoding'],
  ["SELECT 1 WHERE set_config('client_encoding', 'BIG5', true) IS NOT NULL", 'client_encoding'],
  ["WITH s AS (SELECT set_config('standard_conforming_strings', 'off', false)) SELECT * FROM s", 'standard_conforming_strings'],
  ["SELECT pg_catalog.set_config('client_encoding', $1, false)", 'client_encoding'],
  ['SELECT set_config($1, $2, false)', '*'],
  ["SELECT set_config(lower('CLIENT_ENCODING'), 'SJIS', false)", '*'],
  ["UPDATE pg_settings SET setting = 'SJIS' WHERE name = 'client_encoding'", '*'],
  ["UPDATE pg_catalog.pg_settings SET setting = 'on' WHERE name = 'work_mem'", '*'],
  ["ALTER ROLE agent SET client_encoding = 'SJIS'", 'client_encoding'],
  ['ALTER DATABASE orders SET standard_conforming_strings TO off', 'standard_conforming_strings'],
  ["ALTER SYSTEM SET client_encoding = 'SJIS'", 'client_encoding'],
  ["CREATE FUNCTION f() RETURNS int LANGUAGE sql SET client_encoding = 'SJIS' AS 'SELECT 1'", 'client_encoding'],
  ["ALTER FUNCTION f() SET standard_conforming_strings = 'off'", 'standard_conforming_strings'],
  ["PREPARE p AS SELECT set_config('client_encoding', 'SJIS', false)", 'client_encoding'],
  ["EXPLAIN ANALYZE SELECT set_config('client_encoding', 'SJIS', false)", 'client_encoding'],
];

const UNCHANGED: readonly string[] = [
  "SET client_encoding = 'UTF8'",
  "SET client_encoding TO 'utf-8'",
  "SET NAMES 'unicode'",
  'SET standard_conforming_strings = on',
  "SET standard_conforming_strings = 'true'",
  'SET client_encoding TO DEFAULT',
  'RESET client_encoding',
  'RESET standard_conforming_strings',
  'RESET ALL',
  'DISCARD ALL',
  'SET client_encoding FROM CURRENT',
  'ALTER ROLE agent RESET client_encoding',
  "SELECT set_config('client_encoding', 'UTF8', false)",
  "SELECT set_config('work_mem', '64MB', false)",
  "SET work_mem = '64MB'",
  "SELECT 'SET client_encoding = ''SJIS'''",
  "SELECT * FROM pg_settings WHERE name = 'client_encoding'",
];

test('every spelling that moves a pinned setting is named on the classification', async () => {
  const classifier = await SqlClassifier.create();
  for (const [sql, setting] of CHANGES) {
    const [statement] = classifier.classify(sql).statements;
    assert.equal(statement?.changesPinnedSetting, setting, sql);
  }
});

test('the pinned value again, and returning to the startup value, are not changes', async () => {
  const classifier = await SqlClassifier.create();
  for (const sql of UNCHANGED) {
    const [statement] = classifier.classify(sql).statements;
    assert.equal(statement?.changesPinnedSetting, undefined, sql);
  }
});

test('the verdict is never reused for another literal (the normalized-text cache)', async () => {
  const classifier = await SqlClassifier.create();
  const pairs: readonly [string, string][] = [
    ["SET client_encoding = 'UTF8'", "SET client_encoding = 'SJIS'"],
    ["ALTER ROLE agent SET client_encoding = 'UTF8'", "ALTER ROLE agent SET client_encoding = 'SJIS'"],
    ["SELECT set_config('client_encoding', 'UTF8', false)", "SELECT set_config('client_encoding', 'SJIS', false)"],
  ];
  for (const [safe, unsafe] of pairs) {
    assert.equal(classifier.classify(safe).statements[0]?.changesPinnedSetting, undefined, safe);
    assert.equal(classifier.classify(unsafe).statements[0]?.changesPinnedSetting, 'client_encoding', unsafe);
  }
});

test('each statement of a batch carries its own verdict', async () => {
  const classifier = await SqlClassifier.create();
  const batch = classifier.classify("SELECT 1; SET client_encoding = 'SJIS'; SELECT 2");
  assert.deepEqual(
    batch.statements.map((statement) => statement.changesPinnedSetting),
    [undefined, 'client_encoding', undefined],
  );
});

test('values are read the way PostgreSQL reads them', () => {
  assert.ok(pinnedValueHolds('client_encoding', 'UTF8'));
  assert.ok(pinnedValueHolds('client_encoding', 'utf_8'));
  assert.ok(pinnedValueHolds('client_encoding', 'Unicode'));
  assert.ok(!pinnedValueHolds('client_encoding', 'SQL_ASCII'));
  assert.ok(!pinnedValueHolds('client_encoding', 'UTF16'));
  assert.ok(pinnedValueHolds('standard_conforming_strings', 'on'));
  assert.ok(pinnedValueHolds('standard_conforming_strings', 'TRUE'));
  assert.ok(pinnedValueHolds('standard_conforming_strings', 'y'));
  assert.ok(!pinnedValueHolds('standard_conforming_strings', 'off'));
  assert.ok(!pinnedValueHolds('standard_conforming_strings', ''));
});
