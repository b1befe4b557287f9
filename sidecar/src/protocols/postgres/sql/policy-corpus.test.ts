/**
 * The classifier corpus decided by real policies: no bypass attempt passes a read-only policy,
 * and no plain read is blocked by one. Prints, per policy, how many entries were gated and passed
 * and how many harmless entries were gated (false positives).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { type CompiledPolicy, compilePolicy, compileSqlMatch, decide, type SqlFacts, strictestDecision } from '@airlock/contracts/policy';
import { type ApprovalPolicySpec, exampleDocuments } from '@airlock/crds';
import type { StatementKind } from './classification.ts';
import { SqlClassifier } from './classifier.ts';
import { CORPUS, type CorpusEntry } from './testing/corpus.ts';

const approval = { approvers: { groups: ['db-owners'] } };

const compile = (name: string, spec: ApprovalPolicySpec): CompiledPolicy<SqlFacts> =>
  compilePolicy({ name, namespace: 'agents', spec }, compileSqlMatch);

function examplePolicy(): CompiledPolicy<SqlFacts> {
  // The SQL example by its file, not the first ApprovalPolicy: other protocols' examples sort before it.
  const found = exampleDocuments().find(({ file, doc }) => doc.kind === 'ApprovalPolicy' && file.endsWith('prod-db-policy.yaml'));
  assert.ok(found, 'crds/examples/prod-db-policy.yaml holds an ApprovalPolicy');
  const metadata = found.doc.metadata as { name: string };
  return compile(metadata.name, found.doc.spec as ApprovalPolicySpec);
}

interface PolicyCase {
  readonly policy: CompiledPolicy<SqlFacts>;
  /** Kinds a harmless statement may have and still be expected to pass. */
  readonly harmless: ReadonlySet<StatementKind>;
}

const readKinds = (...kinds: StatementKind[]): ApprovalPolicySpec['rules'] => [
  { name: 'reads', match: { sql: { statementKinds: kinds } }, action: 'allow' },
];

let classifier: SqlClassifier;
let cases: PolicyCase[];

before(async () => {
  classifier = await SqlClassifier.create({ cacheSize: 0 });
  cases = [
    { policy: compile('reads-only', { rules: readKinds('read'), defaultAction: 'deny' }), harmless: new Set(['read']) },
    {
      policy: compile('reads-and-session', { rules: readKinds('read', 'transaction', 'session'), defaultAction: 'deny' }),
      harmless: new Set(['read', 'transaction', 'session']),
    },
    { policy: examplePolicy(), harmless: new Set(['read', 'transaction', 'session']) },
    {
      policy: compile('deny-first', {
        rules: [
          { name: 'no-harm', match: { sql: { statementKinds: ['write', 'ddl', 'privilege', 'dangerous', 'admin'] } }, action: 'deny' },
          ...(readKinds('read', 'transaction', 'session') ?? []),
        ],
        defaultAction: 'requireApproval',
        approval,
      }),
      harmless: new Set(['read', 'transaction', 'session']),
    },
  ];
});

/** What the entry's hand-written expectation says it does (never the classifier's answer). */
const expectedKinds = (entry: CorpusEntry): StatementKind[] => entry.statements.flatMap((statement) => statement.kinds);

const isHarmless = (entry: CorpusEntry, harmless: ReadonlySet<StatementKind>): boolean =>
  entry.bypass === undefined && entry.statements.length > 0 && expectedKinds(entry).every((kind) => harmless.has(kind));

function decideEntry(entry: CorpusEntry, policy: CompiledPolicy<SqlFacts>) {
  const batch = classifier.classify(entry.sql);
  return strictestDecision(batch.statements.map((statement) => decide(statement, [policy])));
}

test('no bypass attempt passes a read-only policy, whatever its rule order', (t) => {
  for (const { policy, harmless } of cases) {
    let gated = 0;
    let passed = 0;
    let falsePositives = 0;
    const leaks: string[] = [];
    for (const entry of CORPUS) {
      const decision = decideEntry(entry, policy);
      if (decision.action === 'allow') passed++;
      else gated++;
      if (entry.bypass !== undefined && decision.action === 'allow') leaks.push(`${entry.name}: ${entry.sql}`);
      if (isHarmless(entry, harmless) && decision.action !== 'allow') falsePositives++;
    }
    const bypasses = CORPUS.filter((entry) => entry.bypass !== undefined).length;
    const harmlessCount = CORPUS.filter((entry) => isHarmless(entry, harmless)).length;
    t.diagnostic(
      `${policy.name}: ${CORPUS.length} entries, ${gated} gated, ${passed} passed; ${bypasses} bypass attempts, ${leaks.length} leaked; ${harmlessCount} harmless, ${falsePositives} false positives`,
    );
    assert.deepEqual(leaks, [], `${policy.name} let bypass attempts through`);
  }
});

test('no harmless read in the corpus is blocked by a read-only policy', () => {
  for (const { policy, harmless } of cases) {
    const blocked = CORPUS.filter((entry) => isHarmless(entry, harmless) && decideEntry(entry, policy).action !== 'allow');
    assert.deepEqual(
      blocked.map((entry) => entry.name),
      [],
      `${policy.name} blocks harmless statements`,
    );
  }
});

test('every bypass attempt does something a read-only policy does not list', () => {
  for (const entry of CORPUS.filter((e) => e.bypass !== undefined)) {
    assert.ok(
      expectedKinds(entry).some((kind) => kind !== 'read' && kind !== 'transaction' && kind !== 'session'),
      `${entry.name} is tagged ${entry.bypass} but its expected kinds are only ${expectedKinds(entry).join(', ')}`,
    );
  }
});
