import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DetectorSet } from './detectors.ts';
import { type CutProfile, cutProfileOf, detectorCutProfile, MATCHES_ANYTHING, patternCutProfile } from './stream-cut-profile.ts';

/** The ASCII bytes a profile counts as inside a match, as a string (control bytes as \xNN). */
function insideOf(profile: CutProfile): string {
  let out = '';
  for (let b = 0; b < 128; b++)
    if (profile.inside[b]) out += b < 0x20 || b === 0x7f ? `\\x${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b);
  return out;
}

const has = (profile: CutProfile, chars: string): boolean => [...chars].every((c) => profile.inside[c.charCodeAt(0)] === 1);
const lacks = (profile: CutProfile, chars: string): boolean => [...chars].every((c) => profile.inside[c.charCodeAt(0)] === 0);

describe('custom patterns are read from their RE2 program', () => {
  // These fail, rather than silently holding all output, if a re2js upgrade changes the program's shape.
  test('literals and classes give exactly their characters', () => {
    const profile = patternCutProfile('\\d{3}-\\d{4}');
    assert.equal(insideOf(profile), '-0123456789');
    assert.equal(profile.nonAscii, false);
    assert.equal(insideOf(patternCutProfile('id=[a-c]+')), '=abcdi');
  });

  test('\\S and . leave whitespace or the newline out, so lines are still released', () => {
    const maskGroup = patternCutProfile('pw=(?P<mask>\\S+)');
    assert.ok(lacks(maskGroup, ' \t\n\r\f'));
    assert.ok(has(maskGroup, 'pw=$#:'));
    assert.ok(maskGroup.nonAscii);
    const dot = patternCutProfile('(?m)^pw:.*$');
    assert.ok(lacks(dot, '\n'));
    assert.ok(has(dot, ' \t:'));
  });

  test('a pattern that can match every byte leaves no cut', () => {
    assert.deepEqual(patternCutProfile('(?s)a.b'), MATCHES_ANYTHING);
    assert.ok(has(patternCutProfile('secret\\s*=\\s*\\S+'), '\n '));
  });

  test('case folding counts both cases, and K and S reach beyond ASCII', () => {
    const folded = patternCutProfile('(?i)ab');
    assert.equal(insideOf(folded), 'ABab');
    assert.equal(folded.nonAscii, false);
    assert.equal(patternCutProfile('(?i)k').nonAscii, true);
    // KELVIN SIGN folds to k and K.
    assert.equal(insideOf(patternCutProfile('(?i)\\x{212A}')), 'Kk');
  });

  test('a pattern that does not compile is taken to match anything', () => {
    assert.deepEqual(patternCutProfile('(?<=x)y'), MATCHES_ANYTHING);
  });
});

describe('detectors', () => {
  const detectors = new DetectorSet();

  test('card numbers: digits, and a space or dash only after a digit', () => {
    const card = detectorCutProfile('cardNumber');
    assert.equal(insideOf(card), '0123456789');
    assert.equal(card.afterDigitOnly[0x20], 1);
    assert.equal(card.afterDigitOnly[0x2d], 1);
  });

  test('private keys are blocks, not bytes; bearer tokens continue over whitespace', () => {
    assert.equal(insideOf(detectorCutProfile('privateKey')), '');
    assert.equal(detectorCutProfile('privateKey').privateKeyBlocks, true);
    assert.equal(detectorCutProfile('apiKey').bearer, true);
    assert.ok(lacks(detectorCutProfile('apiKey'), ' \n'));
  });

  test("a pattern whose source is a detector's name gets both readings", () => {
    const asDetector = cutProfileOf(detectors.get('cardNumber'));
    assert.ok(has(asDetector, '0123456789cardNumbe'));
    assert.equal(asDetector.afterDigitOnly[0x20], 1);
  });
});
