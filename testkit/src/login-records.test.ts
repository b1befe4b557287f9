/**
 * The login records the test sshd puts back (login-records.ts), on files of a temp dir shaped as
 * the machine's: appended files cut back to their size (or removed when they did not exist), the
 * lastlog records of the noted uids rewritten as they were, a lastlog that grew cut back.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { markLoginRecords, noteUid, restoreLoginRecords } from './login-records.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-login-records-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const RECORD = 292;

test('appended records are cut back, a file that did not exist goes', () => {
  const btmp = join(dir, 'btmp');
  const wtmp = join(dir, 'wtmp-new');
  writeFileSync(btmp, 'before');
  const mark = markLoginRecords({ appended: [btmp, wtmp], lastlog: join(dir, 'no-lastlog') });
  writeFileSync(btmp, 'before+failed login', { flag: 'w' });
  writeFileSync(wtmp, 'login');
  restoreLoginRecords(mark);
  assert.equal(readFileSync(btmp, 'utf8'), 'before');
  assert.equal(existsSync(wtmp), false);
});

test("the noted uids' lastlog records are rewritten as they were, and growth is cut off", () => {
  const lastlog = join(dir, 'lastlog');
  const old = Buffer.alloc(RECORD * 4, 0);
  old.fill(7, RECORD * 2, RECORD * 3); // uid 2's record: someone logged in once
  writeFileSync(lastlog, old);
  const mark = markLoginRecords({ appended: [], lastlog });
  noteUid(mark, 2);
  noteUid(mark, 9);
  const now = Buffer.concat([old, Buffer.alloc(RECORD * 6, 0)]);
  now.fill(1, RECORD * 2, RECORD * 3); // uid 2 logged in again
  now.fill(1, RECORD * 9, RECORD * 10); // uid 9 (new) logged in
  writeFileSync(lastlog, now);
  restoreLoginRecords(mark);
  assert.deepEqual(readFileSync(lastlog), old);
});
