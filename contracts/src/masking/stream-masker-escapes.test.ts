/**
 * Colour and other terminal escape sequences around and inside secrets: the finders read through
 * them, the mask covers the whole secret, and the sequences inside it are kept after the mask.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MaskingRule } from '@airlock/crds';
import { compileMaskingRules, type MaskingProfile } from './compile.ts';
import type { StreamMasker } from './stream-masker.ts';
import { streamMaskingFor } from './stream-masking-plan.ts';
import { everyByte, streamThrough } from './testing/whole-text.ts';

const KEY = 'stream escape test hash key, 32b';

function open(list: MaskingRule[], profile: MaskingProfile = 'none'): StreamMasker {
  const compiled = compileMaskingRules({ sets: [{ policyName: 'p', rules: list, hashKey: KEY }], profile });
  assert.deepEqual(compiled.errors, []);
  const plan = streamMaskingFor(compiled.rules);
  assert.ok(plan);
  return plan.open();
}

const strict = (): StreamMasker => open([], 'strict');
/** The whole input in one push, then the end of the stream. */
const whole = (masker: StreamMasker, input: string): string => streamThrough(masker, Buffer.from(input, 'utf8'), []).toString('utf8');
/** One byte per push, then the end of the stream. */
const bytewise = (masker: StreamMasker, input: string): string =>
  streamThrough(masker, Buffer.from(input, 'utf8'), everyByte(Buffer.byteLength(input))).toString('utf8');

// Built by concatenation so secret scanners do not flag this file.
const GITHUB = `ghp_${'a1B2'.repeat(9)}`;
const STRIPE_HEAD = 'sk_live_';
const STRIPE_TAIL = 'Zq8Xw2Lm4Np6Rt0Vb3Kc';
const JWT = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxIn0', 'c2lnbmF0dXJl'];
// grep --color=always: the match starts red and ends with a reset; \x1b[K clears to the line's end.
const RED = '\x1b[01;31m\x1b[K';
const RESET = '\x1b[m\x1b[K';

describe('escape sequences around a secret', () => {
  test("grep's highlight around a token: the token is masked, the colours stay around the mask", () => {
    const input = `config.env:TOKEN=${RED}${GITHUB}${RESET}\n`;
    const expected = `config.env:TOKEN=${RED}****${RESET}\n`;
    assert.equal(whole(strict(), input), expected);
    assert.equal(bytewise(strict(), input), expected);
  });

  test('a prompt in colour and a window title before a secret do not hide it', () => {
    const input = `\x1b]0;ops@db.example: ~\x07\x1b[01;32mops@db.example\x1b[00m:~$ echo ${GITHUB}\n`;
    // The title is a text of its own: its address is masked there, the prompt's in the prompt.
    assert.equal(whole(strict(), input), '\x1b]0;****: ~\x07\x1b[01;32m****\x1b[00m:~$ echo ****\n');
  });
});

describe('escape sequences inside a secret', () => {
  test('a colour change in the middle of a token: masked as a whole, the sequences follow the mask', () => {
    // grep matched only the tail, so the highlight starts inside the token.
    const input = `key ${STRIPE_HEAD}${RED}${STRIPE_TAIL}${RESET} end\n`;
    const expected = `key ****${RED}${RESET} end\n`;
    assert.equal(whole(strict(), input), expected);
    assert.equal(bytewise(strict(), input), expected);
  });

  test('a JWT coloured part by part (jq -C) is one JWT', () => {
    const input = `"${JWT[0]}\x1b[1;39m.\x1b[0;32m${JWT[1]}\x1b[1;39m.\x1b[0;32m${JWT[2]}\x1b[0m"\n`;
    assert.equal(whole(strict(), input), '"****\x1b[1;39m\x1b[0;32m\x1b[1;39m\x1b[0;32m\x1b[0m"\n');
  });

  test('a card number with a highlighted group keeps the strategy of its rule over the whole number', () => {
    const masker = open([{ name: 'cards', detectors: ['cardNumber'], strategy: 'partial', keepLast: 4 }]);
    const input = 'paid with 4111 \x1b[1m1111\x1b[0m 1111 1111 today\n';
    // partial keepLast 4 over the 19 characters of the number as the finder read it.
    assert.equal(bytewise(masker, input), `paid with ${'*'.repeat(15)}1111\x1b[1m\x1b[0m today\n`);
  });

  test('an e-mail address split by a bold run', () => {
    const masker = open([{ name: 'mail', detectors: ['email'] }]);
    assert.equal(whole(masker, 'from \x1b[1mbob\x1b[22m@example.com:\n'), 'from \x1b[1m****\x1b[22m:\n');
  });

  test('an OSC sequence (a title, a hyperlink) inside a token is not part of it', () => {
    const input = `${GITHUB.slice(0, 10)}\x1b]0;busy\x07${GITHUB.slice(10)}\x1b]8;;\x1b\\ ok\n`;
    assert.equal(bytewise(strict(), input), '****\x1b]0;busy\x07\x1b]8;;\x1b\\ ok\n');
  });

  test('a token in an OSC payload (a hyperlink) is masked inside the payload', () => {
    const input = `\x1b]8;;https://ci.example/?t=${GITHUB}\x1b\\build 42\x1b]8;;\x1b\\\n`;
    assert.equal(whole(strict(), input), '\x1b]8;;https://ci.example/?t=****\x1b\\build 42\x1b]8;;\x1b\\\n');
  });
});

describe('the colour state after a mask', () => {
  test('the reset that stood inside the masked span still comes after it, so what follows is not red', () => {
    const masker = strict();
    const out = whole(masker, `${STRIPE_HEAD}${RED}${STRIPE_TAIL}\x1b[m rest of the line\n`);
    assert.equal(out, `****${RED}\x1b[m rest of the line\n`);
    // What the terminal reads last before the following text is the reset.
    assert.ok(out.slice(0, out.indexOf(' rest')).endsWith('\x1b[m'));
    assert.deepEqual(masker.takeMaskedCounts(), { 'profile:strict': 1 });
  });
});

describe('cuts and broken sequences', () => {
  test('no cut falls inside a sequence, and the text before a sequence decides the cut after it', () => {
    const masker = strict();
    assert.equal(whole(masker, ''), '');
    assert.equal(masker.push(Buffer.from('ls -l \x1b[01;3')).toString(), 'ls -l ');
    assert.equal(masker.pending, '\x1b[01;3'.length);
    // Complete after a space: released at once.
    assert.equal(masker.push(Buffer.from('4m')).toString(), '\x1b[01;34m');
    assert.equal(masker.pending, 0);
    // Complete after a token's first part: held, the token may go on.
    assert.equal(masker.push(Buffer.from(`${STRIPE_HEAD}\x1b[m`)).length, 0);
    assert.equal(masker.push(Buffer.from(`${STRIPE_TAIL}\n`)).toString(), '****\x1b[m\n');
  });

  test('a lone ESC passes through and does not stop a secret after it from being masked', () => {
    assert.equal(whole(strict(), `\x1b\n${GITHUB} and \x1b\t${GITHUB}\n`), '\x1b\n**** and \x1b\t****\n');
    assert.equal(whole(strict(), `${GITHUB}\x1b`), '****\x1b');
  });

  test('an unterminated CSI at the end of the stream is released by flush, after the masked token', () => {
    const masker = strict();
    assert.equal(masker.push(Buffer.from(`token ${GITHUB}\x1b[01;3`)).toString(), 'token ');
    assert.equal(masker.flush().toString(), '****\x1b[01;3');
  });

  test('an over-long sequence turns back into text: output is not held for it, and a secret in it is masked', () => {
    const masker = strict();
    const title = `\x1b]0;${'x'.repeat(300)} ${GITHUB} \n`;
    const out = masker.push(Buffer.from(title)).toString();
    assert.equal(masker.pending, 0);
    assert.equal(out, `\x1b]0;${'x'.repeat(300)} **** \n`);
  });

  test('output without an ESC byte is still returned as a view of the input', () => {
    const chunk = Buffer.from('plain log line\n');
    assert.equal(strict().push(chunk).buffer, chunk.buffer);
  });
});
