import assert from 'node:assert/strict';
import { test } from 'node:test';
import { md5Password, ScramError, scramContinue, scramStart, scramVerifyFinal } from './scram.ts';

// RFC 7677, section 3: user "user", password "pencil".
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

test('SCRAM-SHA-256 client matches the RFC 7677 exchange', () => {
  const client = scramStart(CLIENT_NONCE, 'user');
  assert.equal(client.clientFirstMessage, 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  const next = scramContinue(client, 'pencil', SERVER_FIRST);
  assert.equal(
    next.clientFinalMessage,
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  );
  scramVerifyFinal(next, 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
});

test('SCRAM refuses a server that does not know the password', () => {
  const next = scramContinue(scramStart(CLIENT_NONCE, 'user'), 'pencil', SERVER_FIRST);
  assert.throws(() => scramVerifyFinal(next, 'v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='), ScramError);
  assert.throws(() => scramVerifyFinal(next, 'e=invalid-proof'), /invalid-proof/);
});

test('SCRAM refuses a server nonce that does not extend the client nonce', () => {
  assert.throws(() => scramContinue(scramStart(CLIENT_NONCE), 'pencil', 'r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'), /nonce/);
  assert.throws(() => scramContinue(scramStart(CLIENT_NONCE), 'pencil', `r=${CLIENT_NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`), /nonce/);
  assert.throws(() => scramContinue(scramStart(CLIENT_NONCE), 'pencil', 'garbage'), ScramError);
});

test('md5 password as PostgreSQL computes it', () => {
  // Computed independently: python3 -c "import hashlib; i=hashlib.md5(b'secretalice').hexdigest(); print(hashlib.md5(i.encode()+bytes([1,2,3,4])).hexdigest())"
  assert.equal(md5Password('alice', 'secret', Buffer.from([1, 2, 3, 4])), 'md598a0412b9c31436fc53776e863350083');
});
