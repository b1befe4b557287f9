/**
 * The machine's login records, which sshd writes whatever its config says: failed logins
 * (/var/log/btmp), logins and logouts (/var/log/wtmp, appended), and each uid's last login
 * (/var/log/lastlog, one fixed-size record at the uid's offset). The test sshd notes them before
 * its users log in and puts them back when it stops, so tests leave the machine's logs as found:
 * the appended files are cut back to their size, the records of the uids it created rewritten as
 * they were (a new uid's record was empty, or the file ended before it).
 */
import { closeSync, existsSync, openSync, readSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';

/** Where the records are; tests point it elsewhere. */
export interface LoginRecordFiles {
  readonly appended: readonly string[];
  readonly lastlog: string;
}

export const LOGIN_RECORD_FILES: LoginRecordFiles = { appended: ['/var/log/btmp', '/var/log/wtmp'], lastlog: '/var/log/lastlog' };
/** sizeof(struct lastlog) with glibc on 64-bit Linux: time (4), line (32), host (256). */
const LASTLOG_RECORD = 292;

export interface LoginRecordsMark {
  readonly files: LoginRecordFiles;
  readonly appended: readonly { readonly path: string; readonly size: number | undefined }[];
  readonly lastlogSize: number | undefined;
  /** The lastlog records of uids noted with noteUid(), as they were. */
  readonly lastlog: Map<number, Buffer>;
}

const sizeOf = (path: string): number | undefined => (existsSync(path) ? statSync(path).size : undefined);

export function markLoginRecords(files: LoginRecordFiles = LOGIN_RECORD_FILES): LoginRecordsMark {
  return {
    files,
    appended: files.appended.map((path) => ({ path, size: sizeOf(path) })),
    lastlogSize: sizeOf(files.lastlog),
    lastlog: new Map(),
  };
}

/** Notes a uid's lastlog record before it first logs in. */
export function noteUid(mark: LoginRecordsMark, uid: number): void {
  const record = Buffer.alloc(LASTLOG_RECORD);
  if (existsSync(mark.files.lastlog)) {
    const fd = openSync(mark.files.lastlog, 'r');
    try {
      readSync(fd, record, 0, LASTLOG_RECORD, uid * LASTLOG_RECORD);
    } finally {
      closeSync(fd);
    }
  }
  mark.lastlog.set(uid, record);
}

export function restoreLoginRecords(mark: LoginRecordsMark): void {
  for (const { path, size } of mark.appended) {
    const now = sizeOf(path);
    if (now === undefined) continue;
    if (size === undefined) unlinkSync(path);
    else if (now > size) truncateSync(path, size);
  }
  const lastlog = mark.files.lastlog;
  if (!existsSync(lastlog)) return;
  if (mark.lastlogSize === undefined) {
    unlinkSync(lastlog);
    return;
  }
  const fd = openSync(lastlog, 'r+');
  try {
    for (const [uid, record] of mark.lastlog) {
      if (uid * LASTLOG_RECORD < mark.lastlogSize) writeSync(fd, record, 0, LASTLOG_RECORD, uid * LASTLOG_RECORD);
    }
  } finally {
    closeSync(fd);
  }
  // Records past the old end belonged to uids created here: cut them off with the file's growth.
  if ((sizeOf(lastlog) ?? 0) > mark.lastlogSize) truncateSync(lastlog, mark.lastlogSize);
}
