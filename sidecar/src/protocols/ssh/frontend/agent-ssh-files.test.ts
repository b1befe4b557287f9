import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderKnownHosts } from './agent-ssh-files.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3k1Kq6mJ0n6Y9rQf3v2Yb8b6m1mWQWc9v7oVh8m2pX';

test('known_hosts: one line per Target, by name and by [loopback]:port, sorted by name', () => {
  const text = renderKnownHosts(
    [
      { target: 'orders-bastion', host: '127.0.0.1', port: 2222 },
      { target: 'build-host', host: '127.0.0.1', port: 2200 },
    ],
    KEY,
  );
  assert.equal(
    text,
    [
      '# Written by the airlock sidecar: its host key, generated when it started, for each SSH Target',
      '# it serves, by Target name (the HostKeyAlias in ssh_config) and by loopback address and port.',
      `build-host,[127.0.0.1]:2200 ${KEY}`,
      `orders-bastion,[127.0.0.1]:2222 ${KEY}`,
      '',
    ].join('\n'),
  );
});

test('the same listeners in another order give the same bytes', () => {
  const a = { target: 'a', host: '127.0.0.1', port: 1 };
  const b = { target: 'b', host: '127.0.0.1', port: 2 };
  assert.equal(renderKnownHosts([a, b], KEY), renderKnownHosts([b, a], KEY));
});

test('a wildcard bind is reached on loopback; port 22 is written without brackets, as ssh looks it up', () => {
  assert.match(renderKnownHosts([{ target: 'h', host: '0.0.0.0', port: 22 }], KEY), /^h,127\.0\.0\.1 ssh-ed25519 /m);
  assert.match(renderKnownHosts([{ target: 'h', host: '::1', port: 2222 }], KEY), /^h,\[::1\]:2222 ssh-ed25519 /m);
});

test('a Target name that ssh would read as more than a name is refused', () => {
  assert.throws(() => renderKnownHosts([{ target: 'x y', host: '127.0.0.1', port: 1 }], KEY), /cannot be an ssh host alias/);
});
