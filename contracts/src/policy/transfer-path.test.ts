import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeTransferPath, pathClimbs } from './transfer-path.ts';

test('repeated slashes, . segments and a trailing slash go; .. stays as written', () => {
  const cases: [string, string][] = [
    ['/srv/drop/a', '/srv/drop/a'],
    ['//srv/./drop//a/', '/srv/drop/a'],
    ['./reports/q1.csv', 'reports/q1.csv'],
    ['a/../../etc/passwd', 'a/../../etc/passwd'],
    ['/srv/link/../x', '/srv/link/../x'],
    ['', '.'],
    ['.', '.'],
    ['./', '.'],
    ['/', '/'],
    ['//', '/'],
    ['/./', '/'],
    ['..', '..'],
    ['name with spaces/..x', 'name with spaces/..x'],
  ];
  for (const [raw, normal] of cases) assert.equal(normalizeTransferPath(raw), normal, raw);
});

test('a path climbs only through a whole .. segment', () => {
  for (const path of ['..', '../x', 'a/..', 'a/../b', '/srv/../etc']) assert.ok(pathClimbs(path), path);
  for (const path of ['..x', 'x..', 'a/..b/c', '/srv/...', '.']) assert.ok(!pathClimbs(path), path);
});
