/** Checks for tests: a secret value, raw or in base64 (padded or not, at any alignment), must not occur anywhere in masked output. */
import assert from 'node:assert/strict';

/** The base64 forms of `value` as it may appear inside a longer base64 text: three alignments, padding stripped. */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Drop the characters touched by the padding bytes and by the trailing partial group.
    const start = shift === 0 ? 0 : Math.ceil((shift * 4) / 3);
    const end = Math.floor(((shift + bytes.length) * 4) / 3);
    if (end - start >= 4) forms.push(padded.slice(start, end));
  }
  return forms;
}

export function assertNoLeak(output: string | Buffer, secrets: readonly string[], what = 'the masked output'): void {
  const text = typeof output === 'string' ? output : output.toString('utf8');
  // JSON escapes (a last-applied annotation is JSON inside a JSON string) must not hide a value either.
  const unescaped = text.replaceAll('\\"', '"').replaceAll('\\\\', '\\');
  for (const secret of secrets) {
    assert.ok(!unescaped.includes(secret), `${what} contains the secret ${JSON.stringify(secret)}`);
    for (const form of base64Forms(secret))
      assert.ok(!unescaped.includes(form), `${what} contains the secret ${JSON.stringify(secret)} in base64 (${form})`);
  }
}
