import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger, REDACTED } from './logger.ts';

/** A destination that keeps each JSON line. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

describe('createLogger', () => {
  test('writes JSON lines with the component, the level as a word and an ISO time', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info', destination: stream, base: { pod: 'agent-0' } });
    logger.info({ target: 'orders-db' }, 'session opened');
    logger.debug('not at info');
    const [line, ...rest] = lines();
    assert.equal(rest.length, 0);
    assert.equal(line?.component, 'airlock-sidecar');
    assert.equal(line?.pod, 'agent-0');
    assert.equal(line?.level, 'info');
    assert.equal(line?.msg, 'session opened');
    assert.equal(line?.target, 'orders-db');
    assert.match(String(line?.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test('redacts passwords, tokens and credentials wherever the sidecar puts them', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info', destination: stream });
    logger.info({ password: 'hunter2', user: 'agent' }, 'top level');
    logger.info({ upstream: { host: 'db', password: 'hunter2', token: 'eyJhbGciOi' } }, 'nested');
    logger.info({ credentials: { username: 'app', password: 'hunter2' } }, 'credentials object');
    logger.info({ request: { headers: { authorization: 'Bearer eyJhbGciOi', cookie: 'session=abc', accept: '*/*' } } }, 'headers');
    logger.child({ session: { token: 'eyJhbGciOi' } }).info('child bindings');

    const text = lines()
      .map((line) => JSON.stringify(line))
      .join('\n');
    assert.doesNotMatch(text, /hunter2|eyJhbGciOi|session=abc/);
    const [top, nested, credentials, headers, child] = lines();
    assert.equal(top?.password, REDACTED);
    assert.equal(top?.user, 'agent');
    assert.deepEqual(nested?.upstream, { host: 'db', password: REDACTED, token: REDACTED });
    assert.equal(credentials?.credentials, REDACTED);
    assert.deepEqual((headers?.request as { headers: unknown } | undefined)?.headers, {
      authorization: REDACTED,
      cookie: REDACTED,
      accept: '*/*',
    });
    assert.deepEqual(child?.session, { token: REDACTED });
  });
});
