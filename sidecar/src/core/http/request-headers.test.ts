/**
 * Which agent headers may go upstream: fixtures written out by hand, as node delivers them
 * (lower-case names, duplicates joined).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forwardableRequestHeaders, headersWithPrefix } from './request-headers.ts';

describe('forwardableRequestHeaders', () => {
  const agent = {
    host: '127.0.0.1:6443',
    authorization: 'Bearer agent-guess',
    cookie: 'session=1',
    'content-length': '12',
    'transfer-encoding': 'chunked',
    connection: 'keep-alive, X-Hop, Upgrade',
    'x-hop': 'connection-scoped',
    'keep-alive': 'timeout=5',
    'proxy-authorization': 'Basic eA==',
    'proxy-connection': 'keep-alive',
    te: 'trailers',
    trailer: 'X-Checksum',
    upgrade: 'websocket',
    expect: '100-continue',
    accept: 'application/json',
    'content-type': 'application/json',
    'user-agent': 'kubectl/v1.35.4',
    'impersonate-user': 'admin',
  };

  test('a plain request keeps only end-to-end headers the agent may set', () => {
    assert.deepEqual(forwardableRequestHeaders(agent, { upgrade: false }), {
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'kubectl/v1.35.4',
      'impersonate-user': 'admin',
    });
  });

  test('an upgrade keeps Connection: Upgrade and Upgrade, and still drops what Connection names', () => {
    assert.deepEqual(forwardableRequestHeaders(agent, { upgrade: true }), {
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'kubectl/v1.35.4',
      'impersonate-user': 'admin',
      connection: 'Upgrade',
      upgrade: 'websocket',
    });
  });
});

describe('headersWithPrefix', () => {
  test('names present under any listed prefix, case-insensitively', () => {
    const headers = { 'impersonate-user': 'admin', 'impersonate-extra-scopes': 'x', accept: '*/*', 'x-remote-user': 'y' };
    assert.deepEqual(headersWithPrefix(headers, ['Impersonate-', 'X-Remote-']), [
      'impersonate-user',
      'impersonate-extra-scopes',
      'x-remote-user',
    ]);
    assert.deepEqual(headersWithPrefix({ accept: '*/*' }, ['impersonate-']), []);
  });
});
