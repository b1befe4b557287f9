import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endsWithEndLine, openBlockEnd, PrivateKeyBlockTracker } from './private-key-blocks.ts';

/** For each position after a byte of `text`: 1 when a cut there could split a block or a marker. */
function unsafeAfter(text: string): string {
  const tracker = new PrivateKeyBlockTracker();
  return [...Buffer.from(text, 'latin1')].map((b) => (tracker.step(b) ? '1' : '0')).join('');
}

// Built by concatenation so secret scanners do not flag this file.
const BEGIN = '-----BEGIN RSA PRIVATE KEY-----';
const END = '-----END RSA PRIVATE KEY-----';

describe('PrivateKeyBlockTracker', () => {
  test('no cut from the first dash of BEGIN to the last dash of END; cuts before and after', () => {
    const text = `a\n${BEGIN}\nMIIE\n${END}\nb`;
    const cuts = unsafeAfter(text);
    const start = text.indexOf('-');
    const end = text.indexOf(END) + END.length;
    assert.equal(cuts.slice(0, start), '0'.repeat(start));
    assert.equal(cuts.slice(start, end - 1), '1'.repeat(end - 1 - start));
    // After the END line's last dash, and everything after it.
    assert.equal(cuts.slice(end - 1), '0'.repeat(text.length - end + 1));
  });

  test('a certificate or a lone dash run releases once it cannot be a key', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n';
    assert.ok(unsafeAfter(cert).endsWith('0'.repeat('\nMIIB\n'.length)));
    assert.equal(unsafeAfter('a -- b'), '001100');
  });

  test('an END line of something else does not end a key block', () => {
    const cuts = unsafeAfter(`${BEGIN}\nMIIE\n-----END CERTIFICATE-----\nstill key\n`);
    assert.ok(!cuts.includes('0'));
  });

  test('six dashes still start a marker, as the pattern finds it at the second', () => {
    const cuts = unsafeAfter(`-${BEGIN}\nMIIE\n`);
    assert.ok(!cuts.includes('0'));
  });
});

describe('carry-over helpers', () => {
  test('openBlockEnd finds the END line that closes a block open at `from`', () => {
    const text = `MIIE\n${END}\nafter`;
    assert.equal(openBlockEnd(text, 0), text.indexOf(END) + END.length);
    assert.equal(openBlockEnd('MIIE\nmore', 0), -1);
  });

  test('endsWithEndLine tells a closed block from one cut off', () => {
    assert.equal(endsWithEndLine(`${BEGIN}\nMIIE\n${END}`), true);
    assert.equal(endsWithEndLine(`${BEGIN}\nMIIE\n-----END RSA PRIV`), false);
  });
});
