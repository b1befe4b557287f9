import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileDestinationPattern, DestinationPatternError, forwardDestination } from './forward-destination.ts';

const allows = (pattern: string, host: string, port: number): boolean =>
  compileDestinationPattern(pattern, false)(forwardDestination(host, port));
const denies = (pattern: string, host: string, port: number): boolean =>
  compileDestinationPattern(pattern, true)(forwardDestination(host, port));

describe('forwardDestination', () => {
  test('host:port as written, with only what changes nothing normalised: case, a trailing dot, the IPv6 spelling', () => {
    assert.equal(forwardDestination('DB.Internal.', 5432), 'db.internal:5432');
    assert.equal(forwardDestination('10.0.0.7', 443), '10.0.0.7:443');
    assert.equal(forwardDestination('0:0:0:0:0:0:0:1', 22), '[::1]:22');
    assert.equal(forwardDestination('[FD00::5]', 22), '[fd00::5]:22');
    assert.equal(forwardDestination('127.1', 22), '127.1:22', 'another spelling of an address stays as written');
  });
});

describe('allow (strict)', () => {
  test('a literal pattern covers that host and port; case does not count', () => {
    assert.ok(allows('localhost:5432', 'localhost', 5432));
    assert.ok(allows('LocalHost:5432', 'LOCALHOST', 5432));
    assert.ok(!allows('localhost:5432', 'localhost', 5433));
    assert.ok(allows('db.internal:*', 'db.internal', 1));
  });

  test('names and addresses never cover each other: nothing is resolved', () => {
    assert.ok(!allows('localhost:5432', '127.0.0.1', 5432));
    assert.ok(!allows('127.0.0.1:5432', 'localhost', 5432));
  });

  test('a wildcard stays within one label or number, and an address pattern covers only IPv4 addresses', () => {
    assert.ok(allows('10.0.0.*:443', '10.0.0.7', 443));
    assert.ok(!allows('10.0.0.*:443', '10.0.0.evil.example', 443));
    assert.ok(!allows('10.0.0.*:443', '10.0.0.evil', 443));
    assert.ok(allows('*.internal:5432', 'db.internal', 5432));
    assert.ok(!allows('*.internal:5432', 'a.db.internal', 5432));
    assert.ok(!allows('db?.internal:5432', 'db.internal', 5432));
    assert.ok(allows('db?.internal:5432', 'db1.internal', 5432));
  });

  test('an address spelled another way is covered only by a host of nothing but *', () => {
    for (const host of ['127.1', '2130706433', '0x7f.0.0.1', '010.0.0.1', 'has space', '']) {
      assert.ok(!allows('127.*.*.*:22', host, 22), host);
      assert.ok(!allows('*.*:22', host, 22), host);
      assert.ok(allows('*:22', host, 22), host);
    }
  });

  test('IPv6: in brackets, compared in the shortest form; never an IPv4 or name pattern', () => {
    assert.ok(allows('[::1]:22', '0:0:0:0:0:0:0:1', 22));
    assert.ok(allows('[0:0::1]:22', '::1', 22));
    assert.ok(allows('[fd00::*]:*', 'fd00::5', 8080));
    assert.ok(!allows('*.*.*.*:22', '::ffff:127.0.0.1', 22));
    assert.ok(!allows('[::1]:22', '127.0.0.1', 22));
  });
});

describe('deny and approval (lenient)', () => {
  test('* crosses dots; a literal name still only catches itself', () => {
    assert.ok(denies('*.internal:*', 'a.db.internal', 22));
    assert.ok(denies('DB.internal:5432', 'db.internal.', 5432));
    assert.ok(!denies('db.internal:5432', 'db.internal', 5433));
  });

  test('an address spelled another way could be any address, and an IPv4-mapped IPv6 address is its IPv4 address', () => {
    assert.ok(denies('10.0.0.5:22', '2130706433', 22));
    assert.ok(denies('10.0.0.5:22', '10.5', 22));
    assert.ok(!denies('10.0.0.5:22', '10.5', 23), 'the port still counts');
    assert.ok(denies('10.0.0.*:22', '::ffff:10.0.0.9', 22));
    assert.ok(denies('[fd00::5]:22', '2130706433', 22));
  });

  test('a name is not the address it may resolve to: what a deny rule cannot catch', () => {
    assert.ok(!denies('127.0.0.1:*', 'localhost', 22));
  });
});

test('a pattern without a port, with a bad port or with an unbracketed IPv6 address does not compile', () => {
  for (const pattern of ['db.internal', 'db.internal:ssh', ':22', 'fd00::5:22']) {
    assert.throws(() => compileDestinationPattern(pattern, false), DestinationPatternError, pattern);
  }
});
