import assert from 'node:assert/strict';
import { test } from 'node:test';
import { luhnValid } from './luhn.ts';

test('Luhn accepts issued test card numbers', () => {
  for (const card of ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '4222222222222']) {
    assert.equal(luhnValid(card), true, card);
  }
});

test('Luhn rejects a changed digit and a 16-digit non-card', () => {
  assert.equal(luhnValid('4111111111111112'), false);
  assert.equal(luhnValid('1234567812345678'), false);
});

test('Luhn skips separators and honours the range', () => {
  assert.equal(luhnValid('4111 1111-1111 1111'), true);
  assert.equal(luhnValid('xx4111111111111111yy', 2, 18), true);
  assert.equal(luhnValid('no digits'), false);
});
