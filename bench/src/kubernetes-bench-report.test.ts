/**
 * The Kubernetes section must replace only itself in bench/RESULTS.md: the other sections and the
 * hand-written analysis stay byte for byte, whatever the numbers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KUBERNETES_BEGIN, KUBERNETES_END, percentile, writeSection } from './kubernetes-bench-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubernetes-bench-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OTHERS = '# Results\n\n<!-- BEGIN SSH -->\nssh numbers\n<!-- END SSH -->\n';
const generated = (body: string): string => [KUBERNETES_BEGIN, body, KUBERNETES_END].join('\n');

describe('writeSection', () => {
  test('appends the section with an analysis placeholder, leaving the rest as it was', () => {
    const file = join(dir, 'append.md');
    writeFileSync(file, OTHERS);
    writeSection(file, generated('first numbers'));
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith(`${OTHERS.trimEnd()}\n\n${KUBERNETES_BEGIN}\nfirst numbers\n`));
    assert.match(text, /<!-- BEGIN KUBERNETES ANALYSIS -->[\s\S]*<!-- END KUBERNETES ANALYSIS -->\n<!-- END KUBERNETES -->\n$/);
  });

  test('replaces the numbers and keeps the hand-written analysis and what follows', () => {
    const file = join(dir, 'replace.md');
    const analysis = '<!-- BEGIN KUBERNETES ANALYSIS -->\nwritten by hand\n<!-- END KUBERNETES ANALYSIS -->';
    const tail = '\n\n## Later section\nkept\n';
    writeFileSync(file, `${OTHERS}\n${KUBERNETES_BEGIN}\nold numbers\n\n${analysis}\n${KUBERNETES_END}${tail}`);
    writeSection(file, generated('new numbers'));
    assert.equal(readFileSync(file, 'utf8'), `${OTHERS}\n${KUBERNETES_BEGIN}\nnew numbers\n\n${analysis}\n${KUBERNETES_END}${tail}`);
  });
});

describe('percentile', () => {
  test('nearest rank on the sorted values', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    assert.equal(percentile(values, 50), 5);
    assert.equal(percentile(values, 95), 10);
    assert.equal(percentile(values, 10), 1);
    assert.equal(percentile([7], 95), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});
