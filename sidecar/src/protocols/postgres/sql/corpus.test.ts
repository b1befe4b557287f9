import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { StatementClassification, StatementKind } from './classification.ts';
import { SqlClassifier } from './classifier.ts';
import { type BypassClass, CORPUS, type ExpectedStatement } from './testing/corpus.ts';

let classifier: SqlClassifier;

before(async () => {
  // No cache: every entry is parsed, so a cached answer cannot hide a wrong one.
  classifier = await SqlClassifier.create({ cacheSize: 0 });
});

function check(actual: StatementClassification, expected: ExpectedStatement): void {
  if (expected.text !== undefined) assert.equal(actual.text, expected.text, 'text');
  assert.deepEqual([...actual.kinds].sort(), [...expected.kinds].sort(), 'kinds');
  assert.deepEqual(actual.commands, expected.commands, 'commands');
  assert.deepEqual(actual.objects, expected.objects ?? [], 'objects');
  assert.deepEqual(actual.functions, expected.functions ?? [], 'functions');
  assert.equal(actual.writesWithoutWhere, expected.writesWithoutWhere ?? false, 'writesWithoutWhere');
  assert.equal(actual.prepares, expected.prepares, 'prepares');
  assert.equal(actual.executes, expected.executes, 'executes');
  assert.equal(actual.deallocates, expected.deallocates, 'deallocates');
  if (expected.unknownReason === undefined) assert.equal(actual.unknownReason, undefined, 'unknownReason');
  else assert.match(actual.unknownReason ?? '', expected.unknownReason, 'unknownReason');
}

test('the corpus covers at least 150 statements, 60 of them bypass attempts in at least 10 classes', (t) => {
  assert.ok(CORPUS.length >= 150, `${CORPUS.length} entries`);
  assert.equal(new Set(CORPUS.map((entry) => entry.name)).size, CORPUS.length, 'entry names are unique');
  const perClass = new Map<BypassClass, number>();
  for (const { bypass } of CORPUS) if (bypass !== undefined) perClass.set(bypass, (perClass.get(bypass) ?? 0) + 1);
  const attempts = [...perClass.values()].reduce((sum, count) => sum + count, 0);
  t.diagnostic(
    `${CORPUS.length} entries, ${attempts} bypass attempts: ${[...perClass].map(([name, count]) => `${name} ${count}`).join(', ')}`,
  );
  assert.ok(attempts >= 60, `${attempts} bypass attempts`);
  assert.ok(perClass.size >= 10, `bypass attempts in ${perClass.size} classes`);
});

/** Kinds that a read-only policy (reads, or reads with transaction and session statements) allows. */
const HARMLESS_KINDS: ReadonlySet<StatementKind> = new Set(['read', 'transaction', 'session']);

test('every bypass attempt is expected to do something a read-only policy does not allow', () => {
  const harmless = CORPUS.filter(
    (entry) =>
      entry.bypass !== undefined && entry.statements.flatMap((statement) => statement.kinds).every((kind) => HARMLESS_KINDS.has(kind)),
  );
  assert.deepEqual(
    harmless.map((entry) => entry.name),
    [],
    'bypass attempts whose expected kinds are all read, transaction or session',
  );
});

for (const entry of CORPUS) {
  test(`corpus: ${entry.name}`, () => {
    const batch = classifier.classify(entry.sql);
    assert.equal(batch.statements.length, entry.statements.length, `statements in ${JSON.stringify(entry.sql)}`);
    entry.statements.forEach((expected, index) => {
      const actual = batch.statements[index]!;
      try {
        check(actual, expected);
      } catch (error) {
        throw new Error(`${JSON.stringify(entry.sql)} statement ${index}: got ${JSON.stringify(actual)}`, { cause: error });
      }
    });
  });
}

test('a single statement keeps the caller text, trimmed', () => {
  const batch = classifier.classify('  SELECT 1;  \n');
  assert.equal(batch.statements[0]?.text, 'SELECT 1;');
});
