import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type DetectorName, DetectorSet } from './detectors.ts';
import { measure, newFeatures } from './span-finder.ts';

const detectors = new DetectorSet();

/** The substrings a detector would mask, or [] when its prefilter already rules the text out. */
function found(name: DetectorName, text: string): string[] {
  const detector = detectors.get(name);
  const bytes = Buffer.from(text, 'utf8');
  const matches: number[] = [];
  if (detector.mayMatch(measure(bytes, 0, bytes.length, newFeatures()), bytes, 0, bytes.length)) detector.findSpans(text, matches);
  const out: string[] = [];
  for (let i = 0; i < matches.length; i += 2) out.push(text.slice(matches[i], matches[i + 1]));
  return out;
}

// Built by concatenation so secret scanners do not flag this file.
const AWS = `AKIA${'IOSFODNN7EXAMPLE'}`;
const GITHUB = `ghp_${'a'.repeat(36)}`;
const JWT = ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'].join(
  '.',
);
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA', 'abcdEFGH', '-----END RSA PRIVATE KEY-----'].join('\n');

describe('email', () => {
  test('finds the address inside longer text', () => {
    assert.deepEqual(found('email', 'contact bob@x.io today'), ['bob@x.io']);
    assert.deepEqual(found('email', 'a.b+tag@mail.example.co.uk, zoë@exämple.de'), ['a.b+tag@mail.example.co.uk', 'zoë@exämple.de']);
  });
  test('leaves text without a dotted domain alone', () => {
    assert.deepEqual(found('email', 'user@localhost and @handle'), []);
    assert.deepEqual(found('email', 'no at sign here'), []);
  });
});

describe('cardNumber', () => {
  test('finds Luhn-valid numbers, plain or grouped by spaces or dashes', () => {
    assert.deepEqual(found('cardNumber', 'paid with 4111111111111111.'), ['4111111111111111']);
    assert.deepEqual(found('cardNumber', 'card 5555 5555 5555 4444 exp 12/29'), ['5555 5555 5555 4444']);
    assert.deepEqual(found('cardNumber', 'amex 3782-822463-10005'), ['3782-822463-10005']);
  });
  test('Luhn rejects a 16-digit number that is not a card', () => {
    assert.deepEqual(found('cardNumber', 'order 1234567812345678'), []);
  });
  test('finds a card next to other digit groups', () => {
    assert.deepEqual(found('cardNumber', 'order 1234 4111 1111 1111 1111'), ['4111 1111 1111 1111']);
    assert.deepEqual(found('cardNumber', '4111111111111111 99'), ['4111111111111111']);
    assert.deepEqual(found('cardNumber', '4111111111111111 5555555555554444'), ['4111111111111111', '5555555555554444']);
  });
  test('ignores longer digit runs, ids glued to letters and short numbers', () => {
    assert.deepEqual(found('cardNumber', '41111111111111110000'), []);
    assert.deepEqual(found('cardNumber', 'id a4111111111111111'), []);
    assert.deepEqual(found('cardNumber', 'uuid 550e8400-e29b-41d4-a716-446655440000'), []);
    assert.deepEqual(found('cardNumber', 'call 555 1234'), []);
  });
});

describe('nationalId', () => {
  test('US SSN with dashes, never-issued numbers excluded', () => {
    assert.deepEqual(found('nationalId', 'ssn 123-45-6789 on file'), ['123-45-6789']);
    assert.deepEqual(found('nationalId', '000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000'), []);
    assert.deepEqual(found('nationalId', 'x123-45-6789'), []);
    assert.deepEqual(found('nationalId', '123-45-6789'), ['123-45-6789']);
    assert.deepEqual(found('nationalId', '2024-01-02 10:11:12+00 1123-45-6789 123-45-67890'), []);
  });
  test('UK National Insurance numbers, plain or spaced, invalid prefixes excluded', () => {
    assert.deepEqual(found('nationalId', 'NI: AB123456C'), ['AB123456C']);
    assert.deepEqual(found('nationalId', 'ab123456c'), ['ab123456c']);
    assert.deepEqual(found('nationalId', 'ni ab 12 34 56 c'), ['ab 12 34 56 c']);
    assert.deepEqual(found('nationalId', 'GB123456A BG123456A QQ123456C AB123456E'), []);
  });
});

describe('apiKey', () => {
  test('well-known prefixes inside text', () => {
    assert.deepEqual(found('apiKey', `aws_access_key_id=${AWS}`), [AWS]);
    assert.deepEqual(found('apiKey', `token: ${GITHUB}`), [GITHUB]);
    const slack = `xoxb-${'1234567890-abcdefghij'}`;
    const stripe = `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`;
    const openai = `sk-proj-${'abcdefghijklmnopqrstuv'}`;
    const gitlab = `glpat-${'xxxxxxxxxxxxxxxxxxxx'}`;
    assert.deepEqual(found('apiKey', `${slack} ${stripe} ${openai} ${gitlab}`), [slack, stripe, openai, gitlab]);
  });
  test('a Bearer token masks the token, not the word', () => {
    const token = 'abcdefghijklmnopqrstuvwxyz0123456789';
    assert.deepEqual(found('apiKey', `Authorization: Bearer ${token}`), [token]);
    assert.deepEqual(found('apiKey', 'send a bearer token in the header, they said'), []);
  });
  test('look-alikes without the full shape are left alone', () => {
    assert.deepEqual(found('apiKey', 'AKIA is the prefix of AWS keys; ghp_short'), []);
  });
});

describe('jwt', () => {
  test('three base64url segments with an eyJ header', () => {
    assert.deepEqual(found('jwt', `Authorization: Bearer ${JWT}`), [JWT]);
    assert.deepEqual(found('jwt', 'eyJ alone is not a token, nor a.b.c'), []);
  });
});

describe('privateKey', () => {
  test('the whole block, armour lines included', () => {
    assert.deepEqual(found('privateKey', `key:\n${PEM}\nend`), [PEM]);
    const openssh = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    assert.deepEqual(found('privateKey', openssh), [openssh]);
  });
  test('a block cut off before its END line is masked to the end of the value', () => {
    const cut = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
    assert.deepEqual(found('privateKey', `x ${cut}`), [cut]);
  });
  test('public keys and certificates are not private keys', () => {
    assert.deepEqual(found('privateKey', '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----'), []);
  });
});

describe('prefilters', () => {
  // The byte statistics may only rule out values the detector would not match anyway.
  const pieces = [
    'bob@x.io',
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    '123-45-6789',
    'AB 12 34 56 C',
    AWS,
    GITHUB,
    `xoxb-${'1'.repeat(16)}`,
    `sk-${'a'.repeat(20)}`,
    `Bearer ${'t'.repeat(20)}`,
    JWT,
    PEM,
    'eyJ',
    '-----',
    ' ',
    '-',
    '@',
    '.',
  ];
  const textArb = fc
    .array(fc.oneof(fc.constantFrom(...pieces), fc.string({ unit: 'binary', maxLength: 6 }), fc.stringMatching(/^[0-9 -]{1,20}$/)), {
      maxLength: 8,
    })
    .map((parts) => parts.join(''));

  for (const name of ['email', 'cardNumber', 'nationalId', 'apiKey', 'jwt', 'privateKey'] as const) {
    test(`${name}: a value it would mask always passes its prefilter`, () => {
      const detector = detectors.get(name);
      fc.assert(
        fc.property(textArb, (text) => {
          const spans: number[] = [];
          detector.findSpans(text, spans);
          const bytes = Buffer.from(text, 'utf8');
          if (spans.length === 0) return;
          // Inside a larger buffer, as in a DataRow: the prefilter must honour start and end.
          const framed = Buffer.concat([Buffer.from('4111111111111111 eyJ PRIVATE KEY 123-45-'), bytes, Buffer.from('6789 AB')]);
          const start = 40;
          assert.ok(
            detector.mayMatch(measure(framed, start, start + bytes.length, newFeatures()), framed, start, start + bytes.length),
            text,
          );
        }),
        { numRuns: 300 },
      );
    });
  }
});
