import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fingerprintSync, normalizeSync, parseSync } from 'libpg-query';
import type { StatementKind } from './classification.ts';
import { NORMALIZE_NESTING_LIMIT, PARSE_NESTING_LIMIT, SqlClassifier } from './classifier.ts';
import { estimateNesting } from './nesting-estimate.ts';

test('an exact repeat is a cache hit, and the counters say so', async () => {
  const classifier = await SqlClassifier.create();
  const first = classifier.classify('SELECT * FROM orders WHERE id = 1');
  const second = classifier.classify('SELECT * FROM orders WHERE id = 1');
  assert.equal(first.cached, false);
  assert.equal(second.cached, true);
  assert.deepEqual(second.statements, first.statements);
  assert.deepEqual(classifier.stats(), { hits: 1, misses: 1 });
});

test('another literal reuses the classification by normalized text, with the caller text', async () => {
  const classifier = await SqlClassifier.create();
  const first = classifier.classify("DELETE FROM orders WHERE id = 1 AND note = 'a'");
  const second = classifier.classify("  DELETE FROM orders WHERE id = 2 AND note = 'b'\n");
  assert.equal(second.cached, true);
  assert.equal(second.statements[0]?.text, "DELETE FROM orders WHERE id = 2 AND note = 'b'");
  assert.deepEqual(second.statements[0]?.kinds, ['write']);
  assert.deepEqual(second.statements[0]?.objects, ['orders']);
  assert.equal(second.fingerprint, first.fingerprint);
  assert.ok(first.fingerprint);
  assert.deepEqual(classifier.stats(), { hits: 1, misses: 1 });
  // And the reused answer is now cached under its own exact text too.
  assert.equal(classifier.classify("  DELETE FROM orders WHERE id = 2 AND note = 'b'\n").cached, true);
});

test('a classification that read a literal is never reused for another literal', async () => {
  const classifier = await SqlClassifier.create();
  const pairs: [string, string, StatementKind][] = [
    ["SELECT set_config('statement_timeout', '5s', false)", "SELECT set_config('role', 'admin', false)", 'privilege'],
    ["SELECT set_config('client_encoding', 'UTF8', false)", "SELECT set_config('client_encoding', 'SJIS', false)", 'dangerous'],
    ['SET standard_conforming_strings = on', 'SET standard_conforming_strings = off', 'dangerous'],
    ["SET client_encoding TO 'utf-8'", "SET client_encoding TO 'BIG5'", 'dangerous'],
    [
      "CREATE FUNCTION f() RETURNS int LANGUAGE 'sql' AS 'SELECT 1'",
      "CREATE FUNCTION f() RETURNS int LANGUAGE 'plpython3u' AS 'SELECT 1'",
      'dangerous',
    ],
  ];
  for (const [harmless, harmful, kind] of pairs) {
    assert.equal(normalizeSync(harmless), normalizeSync(harmful), 'the texts do normalize alike');
    assert.ok(!classifier.classify(harmless).statements[0]?.kinds.includes(kind));
    const batch = classifier.classify(harmful);
    assert.equal(batch.cached, false);
    assert.ok(batch.statements[0]?.kinds.includes(kind), `${harmful}: ${batch.statements[0]?.kinds}`);
  }
});

test('several statements: each gets its own slice of the text; reused only for the same text', async () => {
  const classifier = await SqlClassifier.create();
  const first = classifier.classify("SELECT 'é'; /* c */ DELETE FROM t WHERE a = 1;\n UPDATE t SET a = 2");
  assert.deepEqual(
    first.statements.map((statement) => [statement.text, statement.commands]),
    [
      ["SELECT 'é'", ['SELECT']],
      ['DELETE FROM t WHERE a = 1', ['DELETE']],
      ['UPDATE t SET a = 2', ['UPDATE']],
    ],
  );
  assert.equal(classifier.classify("SELECT 'x'; /* c */ DELETE FROM t WHERE a = 1;\n UPDATE t SET a = 3").cached, false);
  assert.equal(classifier.classify("SELECT 'é'; /* c */ DELETE FROM t WHERE a = 1;\n UPDATE t SET a = 2").cached, true);
});

test('texts over maxLength (in UTF-8 bytes) are unknown without being parsed', async () => {
  const classifier = await SqlClassifier.create({ maxLength: 100 });
  const long = classifier.classify(`SELECT '${'x'.repeat(100)}'`);
  assert.deepEqual(long.statements[0]?.kinds, ['unknown']);
  assert.match(long.statements[0]?.unknownReason ?? '', /over 100 bytes/);
  // 60 characters, 120 bytes.
  assert.deepEqual(classifier.classify(`SELECT '${'é'.repeat(60)}'`).statements[0]?.kinds, ['unknown']);
  assert.deepEqual(classifier.classify('SELECT 1').statements[0]?.kinds, ['read']);
  assert.deepEqual(classifier.stats(), { hits: 0, misses: 3 });
});

test('deeply nested texts are unknown without reaching the parser, which stays sound', async () => {
  const classifier = await SqlClassifier.create({ cacheSize: 0 });
  for (let round = 0; round < 60; round++) {
    // Each of these overflowed the JavaScript stack inside libpg-query and leaked its memory.
    const deep = `SELECT 1${' + 1'.repeat(20000 + round)}`;
    const batch = classifier.classify(deep);
    assert.deepEqual(batch.statements[0]?.kinds, ['unknown']);
    assert.match(batch.statements[0]?.unknownReason ?? '', /nests too deeply/);
  }
  const after = classifier.classify('DELETE FROM orders WHERE id = 1').statements[0];
  assert.deepEqual([after?.kinds, after?.objects], [['write'], ['orders']]);
});

test('at the nesting limits, libpg-query still answers (the shapes that overflowed it first)', () => {
  const shapes: Record<string, (n: number) => string> = {
    nots: (n) => `SELECT ${'NOT '.repeat(n)}true`,
    sums: (n) => `SELECT ${Array(n).fill('1').join(' + ')}`,
    collates: (n) => `SELECT 'a'${' COLLATE "C"'.repeat(n)}`,
    joins: (n) => `SELECT * FROM t0${Array.from({ length: n }, (_, i) => ` JOIN t${i + 1} ON a AND b`).join('')}`,
    subqueries: (n) => `SELECT * FROM ${'(SELECT * FROM '.repeat(n)}t${') s'.repeat(n)}`,
    ctes: (n) => `${'WITH a AS ('.repeat(n)}SELECT 1${') SELECT 1'.repeat(n)}`,
    exists: (n) => `SELECT ${'EXISTS (SELECT '.repeat(n)}1${')'.repeat(n)}`,
  };
  /** The largest n whose text the estimate still lets through. */
  const largest = (shape: (n: number) => string, limit: number): number => {
    let n = 1;
    while (estimateNesting(shape(n * 2)) <= limit) n *= 2;
    for (let step = n / 2; step >= 1; step /= 2) if (estimateNesting(shape(n + step)) <= limit) n += step;
    return n;
  };
  for (const [name, shape] of Object.entries(shapes)) {
    const forNormalize = shape(largest(shape, NORMALIZE_NESTING_LIMIT));
    assert.doesNotThrow(() => normalizeSync(forNormalize), name);
    const forParse = shape(largest(shape, PARSE_NESTING_LIMIT));
    for (const call of [parseSync, fingerprintSync]) {
      try {
        call(forParse);
      } catch (error) {
        // A clean parser error (the grammar's own depth limit) is fine; a stack overflow is not.
        assert.doesNotMatch(String(error), /call stack/i, `${name} ${call.name}`);
      }
    }
  }
});

test('cacheSize bounds each cache, least recently used out first', async () => {
  const classifier = await SqlClassifier.create({ cacheSize: 1 });
  classifier.classify('SELECT a FROM t');
  classifier.classify('SELECT b FROM t');
  assert.equal(classifier.classify('SELECT a FROM t').cached, false);
  assert.equal(classifier.classify('SELECT a FROM t').cached, true);
});

test('cached results cannot be changed by a caller', async () => {
  const classifier = await SqlClassifier.create();
  const batch = classifier.classify('SELECT 1');
  const statement = batch.statements[0]!;
  assert.throws(() => (statement.kinds as string[]).push('write'), TypeError);
  assert.throws(() => Object.assign(statement, { text: 'DROP TABLE t' }), TypeError);
  assert.deepEqual(classifier.classify('SELECT 1').statements[0]?.kinds, ['read']);
});

test('empty and comment-only texts have no statements (PostgreSQL answers EmptyQueryResponse)', async () => {
  const classifier = await SqlClassifier.create();
  for (const text of ['', '   ', '-- nothing', '/* nothing */', ';', ' ; ; ']) {
    assert.deepEqual(classifier.classify(text).statements, [], JSON.stringify(text));
  }
});

test('options are checked', async () => {
  await assert.rejects(SqlClassifier.create({ cacheSize: -1 }), RangeError);
  await assert.rejects(SqlClassifier.create({ maxLength: 0 }), RangeError);
});

/** Text PostgreSQL might run: anything but whitespace, semicolons and comments. */
function mayRun(text: string): boolean {
  return !text.includes('--') && !text.includes('/*') && /[^\s;]/.test(text);
}

test('never throws; every statement has kinds; text that may run has statements (property)', async () => {
  const classifier = await SqlClassifier.create({ cacheSize: 16 });
  const sqlish = fc
    .array(
      fc.constantFrom(
        'SELECT',
        'FROM',
        'WHERE',
        'DELETE',
        'UPDATE',
        'SET',
        'INSERT',
        'INTO',
        'VALUES',
        'WITH',
        'AS',
        'EXPLAIN',
        'ANALYZE',
        'PREPARE',
        'EXECUTE',
        'COPY',
        'TO',
        'STDOUT',
        't',
        '"T"',
        'x.y',
        'f(1)',
        'pg_sleep(1)',
        '(',
        ')',
        ',',
        ';',
        '=',
        '+',
        'NOT',
        "'s'",
        "E'\\''",
        '$$',
        '$1',
        '1',
        '--',
        '/*',
        '*/',
        '\n',
      ),
      { maxLength: 30 },
    )
    .map((tokens) => tokens.join(' '));
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), sqlish), (text) => {
      const batch = classifier.classify(text);
      for (const statement of batch.statements) assert.ok(statement.kinds.length > 0);
      if (mayRun(text)) assert.ok(batch.statements.length >= 1, JSON.stringify(text));
    }),
    { numRuns: 2000 },
  );
});
