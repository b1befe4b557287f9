import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandOverLimit, DEFAULT_SSH_LIMITS } from './ssh-limits.ts';

test('a command line is measured in UTF-8 bytes, up to and including the limit', () => {
  const limits = { maxCommandBytes: 8 };
  assert.equal(commandOverLimit('12345678', limits), undefined);
  assert.match(commandOverLimit('123456789', limits) ?? '', /is 9 bytes, over this sidecar's limit of 8 bytes/);
  // Four characters, eight bytes: at the limit; one more character is over it.
  assert.equal(commandOverLimit('éééé', limits), undefined);
  assert.match(commandOverLimit('éééé1', limits) ?? '', /is 9 bytes/);
});

test('the default limit fits in one SSH packet (ssh2 drops packets over 35,000 bytes)', () => {
  assert.ok(DEFAULT_SSH_LIMITS.maxCommandBytes < 35_000 - 100);
  assert.ok(DEFAULT_SSH_LIMITS.maxChannelsPerConnection <= 10, "no more than OpenSSH's MaxSessions default");
});
