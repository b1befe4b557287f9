import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PreparedBudget } from './prepared-budget.ts';

const I = 0x49;
const T = 0x54;

test('named statements are capped by count; the unnamed one is free; Close releases', () => {
  const budget = new PreparedBudget({ maxPreparedStatements: 2, maxPortals: 2, maxPreparedBytes: 1000 });
  assert.equal(budget.parse('a', 10), undefined);
  assert.equal(budget.parse('b', 10), undefined);
  assert.equal(budget.parse('', 10), undefined);
  assert.match(budget.parse('c', 10) ?? '', /already has 2 named prepared statements, the limit \(limits\.maxPreparedStatements\)/);
  budget.closeStatement('a');
  budget.closeStatement('a');
  assert.equal(budget.parse('c', 10), undefined);
  assert.equal(budget.statements, 2);
  assert.equal(budget.bytes, 20);
});

test('bytes of statements and portals share one budget', () => {
  const budget = new PreparedBudget({ maxPreparedStatements: 10, maxPortals: 10, maxPreparedBytes: 100 });
  assert.equal(budget.parse('a', 60), undefined);
  assert.match(budget.bind('p', 50) ?? '', /would hold 110 bytes, the limit \(limits\.maxPreparedBytes\) is 100/);
  assert.equal(budget.bind('p', 40), undefined);
  budget.closePortal('p');
  budget.closeStatement('a');
  assert.equal(budget.bytes, 0);
});

test('portals go with the transaction, counted by Syncs so pipelined Binds survive', () => {
  const budget = new PreparedBudget({ maxPreparedStatements: 10, maxPortals: 10, maxPreparedBytes: 1000 });
  budget.bind('before', 1);
  budget.syncSent();
  budget.bind('after', 1); // pipelined behind the first Sync
  budget.syncSent();
  assert.deepEqual(budget.readyForQuery(I), ['before']);
  assert.deepEqual(budget.readyForQuery(I), ['after']);
  budget.bind('in-tx', 1);
  budget.syncSent();
  assert.deepEqual(budget.readyForQuery(T), [], 'an open transaction keeps its portals');
  assert.equal(budget.portals, 1);
});

test('SQL PREPAREs of one message take room all or none; existing names take none', () => {
  const budget = new PreparedBudget({ maxPreparedStatements: 3, maxPortals: 1, maxPreparedBytes: 1000 });
  assert.equal(budget.parse('a', 10), undefined);
  const taken = budget.prepareAll([
    { name: 'p', bytes: 10 },
    { name: 'a', bytes: 10 },
  ]);
  assert.ok(typeof taken !== 'string');
  assert.equal(taken.tickets[1], undefined, 'a exists: the server refuses it, it keeps its room');
  assert.match(
    String(
      budget.prepareAll([
        { name: 'q', bytes: 1 },
        { name: 'r', bytes: 1 },
      ]),
    ),
    /already has 2 named prepared statements/,
  );
  assert.equal(budget.statements, 2, 'nothing of the refused message was taken');
});

test('a confirmed release spares what was taken after it was sent; a failed PREPARE gives its ticket back', () => {
  const budget = new PreparedBudget({ maxPreparedStatements: 10, maxPortals: 1, maxPreparedBytes: 1000 });
  budget.parse('old', 10);
  const mark = budget.mark();
  budget.parse('new', 10);
  assert.deepEqual(budget.releaseBefore('*', mark), ['old']);
  assert.deepEqual(budget.releaseBefore('new', mark), []);
  const taken = budget.prepareAll([{ name: 'p', bytes: 5 }]);
  assert.ok(typeof taken !== 'string');
  budget.releaseTicket('p', (taken.tickets[0] ?? -1) + 1);
  assert.equal(budget.statements, 2, 'another ticket releases nothing');
  budget.releaseTicket('p', taken.tickets[0] ?? -1);
  assert.equal(budget.statements, 1);
  assert.equal(budget.bytes, 10);
});
