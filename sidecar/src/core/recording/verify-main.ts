/**
 * node sidecar/src/core/recording/verify-main.ts [--require-close] FILE...
 *
 * Verifies session recordings (`<sessionId>.jsonl`): prints one line per file, OK or the first
 * problem, and exits 1 when any file fails (2 on a usage error). A file's name binds it to its
 * session: records of another session fail as wrong-session. --require-close also fails a file
 * whose last record is not session.close (its tail may be cut off; a chain cannot tell otherwise).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { verifyJsonl } from '@airlock/contracts/recording';

const args = process.argv.slice(2);
const requireClose = args.includes('--require-close');
const files = args.filter((arg) => arg !== '--require-close');
if (files.length === 0 || files.some((file) => file.startsWith('--'))) {
  process.stderr.write('usage: verify-main.ts [--require-close] FILE...\n');
  process.exit(2);
}

let failed = false;
for (const file of files) {
  const name = basename(file);
  const session = name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    failed = true;
    process.stdout.write(`${file}: cannot read: ${(error as Error).message}\n`);
    continue;
  }
  const result = verifyJsonl(text, { ...(session === undefined ? {} : { session }), requireClose });
  if (result.ok) {
    const tail = result.endsWithClose ? 'ends with session.close' : 'no session.close at the end (still open, or the tail was cut off)';
    process.stdout.write(`${file}: OK, ${result.count} records (seq 0..${result.lastSeq}), ${tail}, last hash ${result.lastHash}\n`);
  } else {
    failed = true;
    process.stdout.write(`${file}: ${result.problem} at ${result.message}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
