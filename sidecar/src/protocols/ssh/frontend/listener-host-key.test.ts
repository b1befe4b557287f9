/**
 * The sidecar's host key as ssh2's server and OpenSSH read it. ssh2's own ed25519 generator wrote
 * about 1 key in 250 that ssh2 then refused ("Malformed OpenSSH private key": a public key that
 * starts with a zero byte lost it), which failed a sidecar's start at random; these tests draw
 * enough keys to meet such a key many times over.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import ssh2 from 'ssh2';
import { generateHostKey } from './listener-host-key.ts';

test('every generated host key is one ssh2 reads, with the public key the known_hosts line carries', () => {
  let leadingZero = 0;
  for (let i = 0; i < 3000; i++) {
    const key = generateHostKey();
    const parsed = ssh2.utils.parseKey(key.privateKey);
    assert.ok(
      !(parsed instanceof Error) && !Array.isArray(parsed),
      `key ${i}: ${parsed instanceof Error ? parsed.message : 'several keys'}`,
    );
    const line = `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
    assert.equal(line, key.publicKey, `key ${i}`);
    // The raw key starts at byte 19 of the blob (uint32 length, "ssh-ed25519", uint32 length).
    if (parsed.getPublicSSH()[19] === 0) leadingZero++;
  }
  assert.ok(leadingZero > 0, 'no key with a leading zero byte was drawn: the case this test is for did not occur');
});

test('ssh-keygen reads the private key and derives the same public key and fingerprint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-host-key-'));
  try {
    const key = generateHostKey();
    const file = join(dir, 'host_key');
    writeFileSync(file, key.privateKey, { mode: 0o600 });
    const derived = spawnSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' });
    assert.equal(derived.status, 0, derived.stderr);
    assert.equal(derived.stdout.trim(), key.publicKey);
    const fingerprint = spawnSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' });
    assert.equal(fingerprint.status, 0, fingerprint.stderr);
    assert.ok(fingerprint.stdout.includes(key.fingerprint), fingerprint.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
