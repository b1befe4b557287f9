import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { SqlClassifier } from '../sql/classifier.ts';
import { SqlPreparedStatements } from './sql-prepared.ts';

let classifier: SqlClassifier;
before(async () => {
  classifier = await SqlClassifier.create();
});

const one = (text: string) => {
  const statement = classifier.classify(text).statements[0];
  assert.ok(statement);
  return statement;
};

test('EXECUTE is decided as what this session prepared, plus what its arguments call', () => {
  const prepared = new SqlPreparedStatements();
  prepared.remember(one('PREPARE wipe(int) AS DELETE FROM orders WHERE id = $1'));
  const execute = prepared.resolve(one('EXECUTE wipe(1)'));
  assert.ok(execute.kinds.includes('write'));
  assert.ok(!execute.kinds.includes('unknown'));
  assert.deepEqual(execute.objects, ['orders']);
  assert.equal(execute.commands[0], 'EXECUTE');
  const withCall = prepared.resolve(one('EXECUTE wipe(my_writer())'));
  assert.ok(withCall.functions.includes('my_writer'));
});

test('EXECUTE of a name the session did not prepare, or deallocated, stays unknown', () => {
  const prepared = new SqlPreparedStatements();
  assert.deepEqual(prepared.resolve(one('EXECUTE ghost')).kinds, ['unknown']);
  prepared.remember(one('PREPARE r AS SELECT 1'));
  prepared.remember(one('DEALLOCATE r'));
  assert.deepEqual(prepared.resolve(one('EXECUTE r')).kinds, ['unknown']);
  prepared.remember(one('PREPARE r AS SELECT 1'));
  prepared.remember(one('DEALLOCATE ALL'));
  assert.deepEqual(prepared.resolve(one('EXECUTE r')).kinds, ['unknown']);
});
