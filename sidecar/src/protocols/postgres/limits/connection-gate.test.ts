import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionGate } from './connection-gate.ts';

const limits = { maxConnections: 3, maxStartupConnections: 2, acceptRatePerSecond: 10 };

test('open connections are capped; a release makes room', () => {
  const gate = new ConnectionGate({ ...limits, maxStartupConnections: 10 }, 'target t', () => 0);
  const tickets = [gate.admit(), gate.admit(), gate.admit()];
  const refused = gate.admit();
  assert.equal(refused.ok, false);
  assert.equal(refused.ok ? '' : refused.reason, 'maxConnections');
  assert.match(refused.ok ? '' : refused.message, /3 are open, the limit \(limits\.maxConnections\) is 3/);
  const first = tickets[0]!;
  assert.ok(first.ok);
  first.ticket.release();
  first.ticket.release();
  assert.equal(gate.open, 2);
  assert.equal(gate.admit().ok, true);
});

test('connections in startup are capped separately; startupDone frees the slot but keeps the connection', () => {
  const gate = new ConnectionGate(limits, 'target t', () => 0);
  const a = gate.admit();
  gate.admit();
  const refused = gate.admit();
  assert.equal(refused.ok ? '' : refused.reason, 'maxStartupConnections');
  assert.ok(a.ok);
  a.ticket.startupDone();
  assert.equal(gate.inStartup, 1);
  assert.equal(gate.open, 2);
  assert.equal(gate.admit().ok, true);
  a.ticket.release();
  assert.equal(gate.inStartup, 2, 'release after startupDone does not count the startup twice');
});

test('the accept rate is a token bucket with one second of burst', () => {
  let now = 0;
  const gate = new ConnectionGate({ maxConnections: 1000, maxStartupConnections: 1000, acceptRatePerSecond: 10 }, 'target t', () => now);
  let admitted = 0;
  for (let i = 0; i < 15; i++) if (gate.admit().ok) admitted++;
  assert.equal(admitted, 10);
  const refused = gate.admit();
  assert.equal(refused.ok ? '' : refused.reason, 'acceptRatePerSecond');
  now += 500;
  admitted = 0;
  for (let i = 0; i < 15; i++) if (gate.admit().ok) admitted++;
  assert.equal(admitted, 5);
  now += 60_000;
  admitted = 0;
  for (let i = 0; i < 15; i++) if (gate.admit().ok) admitted++;
  assert.equal(admitted, 10, 'the burst never exceeds one second of tokens');
});
