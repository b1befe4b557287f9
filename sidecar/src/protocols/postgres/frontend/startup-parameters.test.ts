import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterStartupParameters } from './startup-parameters.ts';

const verdict = (parameters: Record<string, string>) => filterStartupParameters(new Map(Object.entries(parameters)));

test('plain settings are forwarded; user and database are the target’s', () => {
  const result = verdict({ user: 'agent', database: 'x', application_name: 'psql', client_encoding: 'UTF8', DateStyle: 'ISO' });
  assert.ok(result.ok);
  assert.deepEqual([...result.forward.keys()], ['application_name', 'client_encoding', 'DateStyle']);
});

test('settings that policy would stop after connecting are refused at startup, naming what to do', () => {
  for (const [name, value] of [
    ['search_path', 'hr, public'],
    ['session_replication_role', 'replica'],
    ['ROLE', 'admin'],
    ['allow_system_table_mods', 'on'],
  ] as const) {
    const result = verdict({ user: 'agent', [name]: value });
    assert.equal(result.ok, false, `${name}=${value}`);
    if (!result.ok) assert.match(result.message, /not allowed through airlock/);
  }
  const searchPath = verdict({ search_path: 'hr' });
  assert.ok(!searchPath.ok && /run SET after connecting, where policy decides/.test(searchPath.message));
});

test('the settings airlock pins are refused at startup off their pinned value, saying they are pinned', () => {
  for (const [name, value, pinned] of [
    ['client_encoding', 'SJIS', /airlock pins client_encoding to UTF8/],
    ['CLIENT_ENCODING', 'BIG5', /airlock pins client_encoding to UTF8/],
    ['standard_conforming_strings', 'off', /airlock pins standard_conforming_strings to on/],
  ] as const) {
    const result = verdict({ user: 'agent', [name]: value });
    assert.ok(!result.ok && pinned.test(result.message) && /Connect without it/.test(result.message), `${name}=${value}`);
  }
});

test('the encoding and string settings the classifier assumes are accepted', () => {
  assert.ok(verdict({ client_encoding: 'utf-8', standard_conforming_strings: 'on' }).ok);
});
