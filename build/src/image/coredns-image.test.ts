/** The CoreDNS image refuses a coredns it could not run: one that needs a dynamic loader, or is no x86-64 program. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const scratch = mkdtempSync(join(tmpdir(), 'airlock-coredns-image-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** buildCorednsImage with AIRLOCK_COREDNS pointing at `coredns`, in a fresh process: its error, as `code: message`. */
function buildWith(coredns: string): { status: number | null; stderr: string } {
  const code = `import { buildCorednsImage } from ${JSON.stringify(join(import.meta.dirname, 'coredns-image.ts'))};
    try { await buildCorednsImage({ output: ${JSON.stringify(join(scratch, 'out.tar'))} }); } catch (e) { console.error(e.code + ': ' + e.message); process.exit(3); }`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, AIRLOCK_COREDNS: coredns },
    encoding: 'utf8',
  });
  return { status: result.status, stderr: result.stderr };
}

test('a dynamically linked coredns is refused, with how to build one that runs in the image', () => {
  // The machine's own programs are dynamically linked: node itself.
  const { status, stderr } = buildWith(process.execPath);
  assert.equal(status, 3);
  assert.match(stderr, /^CorednsNotStatic: .* is dynamically linked: the CoreDNS image has no C library\. Build it with CGO_ENABLED=0/m);
});

test('a file that is no x86-64 program is refused', () => {
  const script = join(scratch, 'coredns.sh');
  writeFileSync(script, '#!/bin/sh\necho CoreDNS\n', { mode: 0o755 });
  const { status, stderr } = buildWith(script);
  assert.equal(status, 3);
  assert.match(stderr, /^CorednsNotStatic: .*coredns\.sh is not an x86-64 Linux program/m);
});
