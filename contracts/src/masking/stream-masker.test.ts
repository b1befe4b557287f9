import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MaskingRule } from '@airlock/crds';
import { compileMaskingRules, type MaskingProfile } from './compile.ts';
import type { CompiledRule } from './compiled-rule.ts';
import { hash } from './strategies.ts';
import type { StreamMasker } from './stream-masker.ts';
import { streamMaskingFor } from './stream-masking-plan.ts';

const KEY = 'stream unit test hash key, 32 b.';

function rules(list: MaskingRule[], profile: MaskingProfile = 'none'): readonly CompiledRule[] {
  const compiled = compileMaskingRules({ sets: [{ policyName: 'p', rules: list, hashKey: KEY }], profile });
  assert.deepEqual(compiled.errors, []);
  return compiled.rules;
}

function open(list: MaskingRule[], profile: MaskingProfile = 'none', maxHoldBytes?: number): StreamMasker {
  const plan = streamMaskingFor(rules(list, profile), maxHoldBytes === undefined ? {} : { maxHoldBytes });
  assert.ok(plan);
  return plan.open();
}

const strict = (maxHoldBytes?: number): StreamMasker => open([], 'strict', maxHoldBytes);
const text = (b: Buffer): string => b.toString('utf8');

// Built by concatenation so secret scanners do not flag this file.
const GITHUB = `ghp_${'a'.repeat(36)}`;
const BEGIN = '-----BEGIN RSA PRIVATE KEY-----';
const END = '-----END RSA PRIVATE KEY-----';
const BODY = 'MIIEowIBAAKCAQEAxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyz';

describe('streamMaskingFor', () => {
  test('is undefined when no rule can find a span, so the stream is not looked at', () => {
    assert.equal(streamMaskingFor(undefined), undefined);
    assert.equal(streamMaskingFor([]), undefined);
    // Column selectors select nothing in a byte stream.
    assert.equal(streamMaskingFor(rules([{ name: 'cols', columns: ['email'] }])), undefined);
    assert.ok(streamMaskingFor(rules([{ name: 'pattern', patterns: ['x+'] }])));
    assert.ok(streamMaskingFor(rules([], 'pii')));
  });

  test('refuses a hold-back bound too small to hold a marker line', () => {
    assert.throws(() => streamMaskingFor(rules([], 'pii'), { maxHoldBytes: 8 }), RangeError);
  });
});

describe('what is released at once', () => {
  test('line output and prompts pass without waiting', () => {
    const masker = strict();
    assert.equal(text(masker.push(Buffer.from('total 4\ndrwxr-xr-x 2 root root 4096 .\n'))), 'total 4\ndrwxr-xr-x 2 root root 4096 .\n');
    assert.equal(masker.pending, 0);
    assert.equal(text(masker.push(Buffer.from('root@host:~# '))), 'root@host:~# ');
    assert.equal(masker.pending, 0);
  });

  test('holds back only the word that could still become a match', () => {
    const masker = strict();
    assert.equal(text(masker.push(Buffer.from('token is ghp_aaaa'))), 'token is ');
    assert.equal(masker.pending, 'ghp_aaaa'.length);
    assert.equal(text(masker.push(Buffer.from(`${'a'.repeat(32)} ok\n`))), '**** ok\n');
  });

  test('a grouped card number is held across its spaces, a space after a non-digit is not', () => {
    const masker = open([{ name: 'cards', detectors: ['cardNumber'] }]);
    assert.equal(text(masker.push(Buffer.from('$ card 4111 1111'))), '$ card ');
    assert.equal(text(masker.push(Buffer.from(' 1111 1111 paid\n'))), '**** paid\n');
  });

  test('whitespace after "Bearer" is held until the token comes, however long', () => {
    const masker = open([{ name: 'keys', detectors: ['apiKey'] }]);
    const spaces = ' '.repeat(300);
    assert.equal(text(masker.push(Buffer.from(`Authorization: Bearer${spaces}`))), 'Authorization: ');
    assert.equal(text(masker.push(Buffer.from('abcdefghijklmnopqrstuvwxyz012345\n'))), `Bearer${spaces}****\n`);
  });

  test('nothing masked: the released bytes are a view of the input, not a copy', () => {
    const chunk = Buffer.from('plain log line\n');
    const out = strict().push(chunk);
    assert.equal(out.buffer, chunk.buffer);
  });
});

describe('flushPending', () => {
  test('releases a word being typed, one keystroke at a time', () => {
    const masker = strict();
    assert.equal(masker.push(Buffer.from('l')).length, 0);
    assert.equal(masker.push(Buffer.from('s')).length, 0);
    assert.equal(masker.pending, 2);
    assert.equal(text(masker.flushPending()), 'ls');
    assert.equal(masker.pending, 0);
    assert.equal(masker.flushPending().length, 0);
  });

  test('keeps a character whose last bytes have not arrived', () => {
    const masker = strict();
    const word = Buffer.from('ab日', 'utf8');
    assert.equal(masker.push(word.subarray(0, 4)).length, 0);
    assert.equal(text(masker.flushPending()), 'ab');
    assert.equal(masker.pending, 2);
    assert.ok(masker.push(Buffer.concat([word.subarray(4), Buffer.from('\n')])).equals(Buffer.from('日\n')));
  });

  test('the trade-off: a secret split by a timer flush is masked only from the cut on', () => {
    const masker = strict();
    masker.push(Buffer.from('ghp_aaaaaaaaaa'));
    // On its own the first part is no token: it leaves as it is.
    assert.equal(text(masker.flushPending()), 'ghp_aaaaaaaaaa');
    // The rest matches together with what came before it: redacted.
    assert.equal(text(masker.push(Buffer.from(`${'a'.repeat(26)}\n`))), '****\n');
  });

  test('a fragment is redacted whatever the rule strategy, as a partial of it would reveal more', () => {
    const masker = open([{ name: 'cards', detectors: ['cardNumber'], strategy: 'partial', keepFirst: 4 }]);
    assert.equal(text(masker.push(Buffer.from('card 4111 1111'))), 'card ');
    assert.equal(text(masker.flushPending()), '4111 1111');
    assert.equal(text(masker.push(Buffer.from(' 1111 1111\n'))), '****\n');
  });

  test('a private key block released by the timer is masked on to its END line', () => {
    const masker = strict();
    assert.equal(masker.push(Buffer.from(`$ cat id_rsa\n${BEGIN}\n${BODY}\n`)).toString(), '$ cat id_rsa\n');
    assert.equal(text(masker.flushPending()), '****');
    assert.equal(text(masker.push(Buffer.from(`${BODY}\n${BODY}\n`))), '');
    assert.equal(text(masker.flushPending()), '****');
    assert.equal(text(masker.push(Buffer.from(`${BODY}\n${END}\n$ `))), '****\n$ ');
  });
});

describe('hold-back bound', () => {
  test('10 MB without a separator: never more than the bound held, every byte released unchanged', () => {
    const masker = strict();
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let released = 0;
    for (let i = 0; i < 160; i++) {
      const out = masker.push(chunk);
      assert.ok(out.every((b) => b === 0x78));
      released += out.length;
      assert.ok(masker.pending <= 4096, `pending ${masker.pending}`);
    }
    released += masker.flush().length;
    assert.equal(released, 160 * chunk.length);
  });

  test('one 10 MB chunk and a stream of single bytes both stay within the bound', () => {
    const masker = strict(1024);
    assert.equal(masker.push(Buffer.alloc(10 * 1024 * 1024, 'y')).length + masker.pending, 10 * 1024 * 1024);
    assert.ok(masker.pending <= 1024);
    const byBytes = strict(100);
    for (let i = 0; i < 5000; i++) {
      byBytes.push(Buffer.from('z'));
      assert.ok(byBytes.pending <= 100);
    }
  });

  test('a forced cut never splits a character', () => {
    const masker = strict(16);
    const out = masker.push(Buffer.from('日'.repeat(20), 'utf8'));
    assert.equal(out.length % 3, 0);
    assert.ok(masker.pending <= 16);
  });

  test('a private key longer than the bound is masked to its END line', () => {
    const masker = strict(256);
    const key = [BEGIN, ...Array.from({ length: 40 }, () => BODY), END].join('\n');
    const out = text(Buffer.concat([masker.push(Buffer.from(`before\n${key}\nafter\n`)), masker.flush()]));
    assert.ok(out.startsWith('before\n****'), out);
    assert.ok(out.endsWith('****\nafter\n'), out);
    assert.ok(!out.includes('MIIE'), out);
  });

  test('a certificate is not a key: it is not held', () => {
    const masker = strict();
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    assert.equal(text(masker.push(Buffer.from(cert))), cert);
  });
});

describe('UTF-8', () => {
  test('a cut after a non-ASCII character waits for the character to be whole', () => {
    // apiKey matches only ASCII, so a cut may fall after any whole character.
    const masker = open([{ name: 'keys', detectors: ['apiKey'] }]);
    const both = Buffer.from('日本', 'utf8');
    assert.ok(masker.push(both.subarray(0, 4)).equals(Buffer.from('日', 'utf8')));
    assert.equal(masker.pending, 1);
  });

  test('invalid bytes next to a masked span pass through untouched', () => {
    const masker = strict();
    const input = Buffer.concat([Buffer.from([0xff, 0xfe, 0x20]), Buffer.from(GITHUB), Buffer.from([0x20, 0xc3, 0x28, 0x0a])]);
    const out = Buffer.concat([masker.push(input), masker.flush()]);
    assert.ok(out.equals(Buffer.concat([Buffer.from([0xff, 0xfe, 0x20]), Buffer.from('****'), Buffer.from([0x20, 0xc3, 0x28, 0x0a])])));
  });

  test('an e-mail with non-ASCII letters split inside a character is found whole', () => {
    const masker = open([{ name: 'mail', detectors: ['email'] }]);
    const bytes = Buffer.from('to zoë@exämple.de now\n', 'utf8');
    const at = bytes.indexOf(0xc3) + 1;
    const out = Buffer.concat([masker.push(bytes.subarray(0, at)), masker.push(bytes.subarray(at))]);
    assert.equal(text(out), 'to **** now\n');
  });
});

describe('strategies and counts', () => {
  test('spans are masked with their rule strategy, as in a PostgreSQL text value', () => {
    const masker = open([
      { name: 'mail', detectors: ['email'], strategy: 'hash' },
      { name: 'cards', detectors: ['cardNumber'], strategy: 'partial', keepLast: 4 },
      { name: 'ids', detectors: ['nationalId'], strategy: 'null' },
    ]);
    const out = text(masker.push(Buffer.from('bob@x.io paid with 4111 1111 1111 1111, ssn 123-45-6789\n')));
    assert.equal(out, `${hash(Buffer.from(KEY), 'bob@x.io')} paid with ***************1111, ssn ****\n`);
    assert.deepEqual(masker.takeMaskedCounts(), { 'p/mail': 1, 'p/cards': 1, 'p/ids': 1 });
    assert.deepEqual(masker.takeMaskedCounts(), {});
  });
});
