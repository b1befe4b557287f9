import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operationDigest } from './digest.ts';

const base = { text: 'sftp', target: { namespace: 'ops', name: 'bastion' }, identity: { namespace: 'ops', name: 'agent' } };

describe('operationDigest', () => {
  it('is stable for a SQL statement (no kind): the v1 encoding approvals already carry', () => {
    assert.equal(
      operationDigest({ text: 'DELETE FROM t', target: base.target, identity: base.identity }),
      operationDigest({ text: 'DELETE FROM t', parameters: [], target: base.target, identity: base.identity }),
    );
  });

  it('binds the request kind: an approval of `subsystem sftp` does not release `exec sftp`, nor an operation without a kind', () => {
    const digests = new Set([
      operationDigest(base),
      operationDigest({ ...base, kind: 'exec' }),
      operationDigest({ ...base, kind: 'subsystem' }),
      operationDigest({ ...base, kind: 'shell' }),
    ]);
    assert.equal(digests.size, 4);
  });

  it('cannot be forged by moving bytes between the kind and the text', () => {
    assert.notEqual(operationDigest({ ...base, kind: 'exec', text: 'sftp' }), operationDigest({ ...base, kind: 'execs', text: 'ftp' }));
    assert.notEqual(operationDigest({ ...base, kind: 'exec' }), operationDigest({ ...base, kind: 'exec', text: 'sftp ' }));
  });
});
