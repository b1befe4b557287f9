import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compileMaskingRules, streamMaskingFor } from '@airlock/contracts/masking';
import { maskingTransform } from './masking-transform.ts';

function plan() {
  const { rules, errors } = compileMaskingRules({
    sets: [{ policyName: 'p', rules: [{ name: 'pw', patterns: ['pw=(?P<mask>\\S+)'] }] }],
    profile: 'secrets',
  });
  assert.deepEqual(errors, []);
  const built = streamMaskingFor(rules);
  assert.ok(built);
  return built;
}

/** Collects what the transform emits, as text, in the order it comes. */
function collect(stream: NodeJS.ReadableStream): string[] {
  const seen: string[] = [];
  stream.on('data', (chunk: Buffer) => seen.push(chunk.toString('utf8')));
  return seen;
}

// Built by concatenation so secret scanners do not flag this file.
const TOKEN = `ghp_${'b'.repeat(36)}`;

describe('maskingTransform', () => {
  test('masks what passes through, across writes, and releases the rest at the end', async () => {
    const masked: Record<string, number>[] = [];
    const transform = maskingTransform(plan().open(), { onMasked: (counts) => masked.push({ ...counts }) });
    const seen = collect(transform);
    transform.write(`token ${TOKEN.slice(0, 10)}`);
    transform.write(`${TOKEN.slice(10)}\npw=hunter2 `);
    transform.end('tail');
    await once(transform, 'end');
    assert.equal(seen.join(''), 'token ****\npw=**** tail');
    assert.deepEqual(masked, [{ 'profile:secrets': 1, 'p/pw': 1 }]);
  });

  test('a prompt without a newline is released after the idle time, before the next write', async () => {
    const transform = maskingTransform(plan().open(), { idleFlushMs: 10 });
    const seen = collect(transform);
    const started = performance.now();
    transform.write('Password');
    // Held: "Password" could still become the start of a token.
    await sleep(0);
    assert.deepEqual(seen, []);
    await once(transform, 'data');
    assert.deepEqual(seen, ['Password']);
    assert.ok(performance.now() - started >= 9);
    transform.end();
    await once(transform, 'end');
  });

  test('a write before the idle time restarts it: a secret typed steadily is not cut', async () => {
    const transform = maskingTransform(plan().open(), { idleFlushMs: 200 });
    const seen = collect(transform);
    for (const c of `${TOKEN}\n`) {
      transform.write(c);
      await sleep(2);
    }
    transform.end();
    await once(transform, 'end');
    assert.equal(seen.join(''), '****\n');
  });
});
