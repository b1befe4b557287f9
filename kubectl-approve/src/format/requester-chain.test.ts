import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Requester } from '@airlock/crds';
import { chainCell, chainLine, requesterCell } from './requester-chain.ts';
import { COLOR } from './terminal-text.ts';

const agent: Requester = {
  identity: 'orders-deploy-main',
  serviceAccount: 'system:serviceaccount:agents:orders-deploy',
  pod: { name: 'orders-deploy-7c9f', uid: '0b7f3a1e-2c44-4c8e-9d55-6f1c2a4e93b1' },
};
const forAlice: Requester = { ...agent, onBehalfOf: 'alice@example.com', issuer: 'https://issuer.example.com' };
const subAgent = (chain: string[], depth = chain.length, base: Requester = forAlice): Requester => ({
  ...base,
  delegation: { depth, chain },
});

describe('the show line', () => {
  test('reads human first, through the identity, down to the sub-agent asking, with the depth', () => {
    assert.equal(
      chainLine(subAgent(['researcher', 'sql-writer'])),
      'alice@example.com → orders-deploy-main (identity) → researcher → sql-writer (depth 2)',
    );
  });

  test('an agent acting for someone, without sub-agents, still shows whom it acts for', () => {
    assert.equal(chainLine(forAlice), 'alice@example.com → orders-deploy-main (identity)');
  });

  test('a sub-agent of an agent with no person behind it starts at the identity', () => {
    assert.equal(chainLine(subAgent(['researcher'], 1, agent)), 'orders-deploy-main (identity) → researcher (depth 1)');
  });

  test('no person and no delegation: no chain line', () => {
    assert.equal(chainLine(agent), undefined);
  });

  test('a depth that disagrees with the names is called out, not reconciled', () => {
    assert.equal(
      chainLine(subAgent(['researcher'], 3)),
      'alice@example.com → orders-deploy-main (identity) → researcher (depth 3, but the chain names 1 sub-agent)',
    );
    assert.ok(chainLine(subAgent(['researcher'], 3), COLOR)?.includes('\u001b[1;31m(depth 3, but'));
  });
});

describe('an agent-named link cannot rewrite the chain', () => {
  const hostile = subAgent(['researcher\n\u001b[2K\rsql-writer', 'x\u202e', 'a → b', 'c/d', '…']);

  test('escape sequences, newlines and bidi overrides are shown, not obeyed', () => {
    const line = chainLine(hostile) ?? '';
    assert.ok(!line.includes('\n') && !line.includes('\u001b') && !line.includes('\r') && !line.includes('\u202e'), line);
    // Carriage returns and newlines are layout, folded into one space like every one-line field.
    assert.ok(line.includes(' → researcher \\u{001B}[2K sql-writer → '), line);
    assert.ok(line.includes('x\\u{202E}'), line);
  });

  test('a name holding the link character shows as one link', () => {
    const line = chainLine(hostile) ?? '';
    assert.ok(line.includes(' → a \\u{2192} b → '), line);
    // The person comes from a verified token; its text is not trusted to be well-formed either.
    assert.equal(
      chainLine({ ...agent, onBehalfOf: 'mallory → admin@example.com' }),
      'mallory \\u{2192} admin@example.com → orders-deploy-main (identity)',
    );
  });

  test('in the table cells too', () => {
    for (const cell of [chainCell(hostile), requesterCell(hostile)]) {
      for (const unsafe of ['\n', '\r', '\u001b', '\u202e']) assert.ok(!cell.includes(unsafe), cell);
    }
    assert.equal(requesterCell(subAgent(['c/d'])), 'orders-deploy-main/c\\u{002F}d');
    assert.equal(requesterCell(subAgent(['…', 'x'])), 'orders-deploy-main/…/x');
    assert.equal(requesterCell(subAgent(['x', '…'])), 'orders-deploy-main/…/\\u{2026}');
    assert.ok(chainCell(hostile).endsWith('→a \\u{2192} b→c\\u{002F}d→\\u{2026}'), chainCell(hostile));
  });
});

describe('the list cells', () => {
  test('REQUESTER: the identity, and the sub-agent asking; an ellipsis for those in between', () => {
    assert.equal(requesterCell(agent), 'orders-deploy-main');
    assert.equal(requesterCell(forAlice), 'orders-deploy-main');
    assert.equal(requesterCell(subAgent(['sql-writer'])), 'orders-deploy-main/sql-writer');
    assert.equal(requesterCell(subAgent(['researcher', 'sql-writer'])), 'orders-deploy-main/…/sql-writer');
  });

  test('CHAIN: every link, human first, or - when there is no chain', () => {
    assert.equal(chainCell(subAgent(['researcher', 'sql-writer'])), 'alice@example.com→orders-deploy-main→researcher→sql-writer');
    assert.equal(chainCell(forAlice), 'alice@example.com→orders-deploy-main');
    assert.equal(chainCell(agent), '-');
  });
});
