import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { CORPUS } from '@airlock/sidecar/testing/sql-corpus';
import { loadModule, scanSync } from 'libpg-query';
import { highlightSql, prettySql, tokenize } from './sql.ts';
import { COLOR, PLAIN } from './terminal-text.ts';

before(async () => loadModule());

/** PostgreSQL's own scanner: the token texts, which the layout must not change. */
const pgTokens = (sql: string) => (sql.trim() === '' ? [] : scanSync(sql).tokens.map((t) => t.text));

const HARD = [
  "SELECT 'it''s', E'\\'quoted\\'', $$ a -- b $$, $tag$ ; $$ $tag$, U&'d\\0061t\\+000061', B'101', X'1F'",
  'SELECT "weird ""name""", x::int, a.b, $1, 1.5e-3, .5, 0x1F FROM t -- comment with ; and \'quote\n WHERE a <> b',
  'SELECT 1 /* nested /* comment */ still */ FROM t WHERE x BETWEEN 1 AND 2 AND y IS NOT NULL OR z',
  "INSERT INTO t (a, b) VALUES (1, 'x') ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING *",
  'WITH x AS (SELECT * FROM a WHERE b) SELECT * FROM x LEFT OUTER JOIN y ON x.id = y.id AND y.ok UNION ALL SELECT * FROM z',
  'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $f$ SELECT 1 $f$; DROP TABLE t; -- end',
  'SELECT count(*) FILTER (WHERE x > 1) OVER (PARTITION BY a ORDER BY b) FROM t GROUP BY a HAVING count(*) > 1 ORDER BY 1 LIMIT 5 OFFSET 1',
];

test('tokens join back to the exact text', () => {
  for (const sql of [...CORPUS.map((c) => c.sql), ...HARD])
    assert.equal(
      tokenize(sql)
        .map((t) => t.text)
        .join(''),
      sql,
    );
});

test("the layout changes only whitespace between tokens: PostgreSQL's scanner sees the same tokens", () => {
  for (const sql of [...CORPUS.map((c) => c.sql), ...HARD]) {
    const pretty = prettySql(sql);
    assert.deepEqual(pgTokens(pretty), pgTokens(sql), `${sql}\n=>\n${pretty}`);
  }
});

test('clauses start lines; conditions are indented under them; subqueries by depth', () => {
  assert.equal(
    prettySql(
      "SELECT o.id, sum(total) FROM orders o JOIN customers c ON c.id = o.customer_id AND c.vip WHERE o.created BETWEEN $1 AND $2 OR o.id IN (SELECT id FROM t WHERE a = 'x' AND b) GROUP BY o.id ORDER BY 2 DESC LIMIT 10",
    ),
    [
      'SELECT o.id, sum(total)',
      'FROM orders o',
      'JOIN customers c ON c.id = o.customer_id',
      '  AND c.vip',
      'WHERE o.created BETWEEN $1 AND $2',
      '  OR o.id IN (SELECT id',
      '    FROM t',
      "    WHERE a = 'x'",
      '      AND b)',
      'GROUP BY o.id',
      'ORDER BY 2 DESC',
      'LIMIT 10',
    ].join('\n'),
  );
  assert.equal(prettySql('CREATE OR REPLACE VIEW v AS SELECT 1'), 'CREATE OR REPLACE VIEW v AS\nSELECT 1');
  assert.equal(prettySql('DELETE FROM orders -- all of them\nWHERE true'), 'DELETE FROM orders -- all of them\nWHERE true');
});

test('a line comment keeps the line break that ends it, even with nothing after it', () => {
  assert.equal(prettySql('SELECT 1 -- one\n'), 'SELECT 1 -- one\n');
  assert.equal(prettySql('SELECT 1 -- hides\nFROM t'), 'SELECT 1 -- hides\nFROM t');
});

test('highlighting styles token classes and escapes what a terminal would obey', () => {
  assert.equal(highlightSql("SELECT 'a', 1, $1 -- c", PLAIN), "SELECT 'a', 1, $1 -- c");
  const colored = highlightSql("SELECT 'x\u001b[2K' FROM t", COLOR);
  assert.ok(colored.startsWith('\u001b[1;34mSELECT\u001b[22;39m'));
  assert.ok(colored.includes('\\u{001B}'));
  assert.ok(!colored.includes('\u001b[2K'), 'the raw escape sequence reaches the terminal');
});
