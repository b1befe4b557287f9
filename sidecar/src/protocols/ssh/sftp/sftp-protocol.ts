/**
 * The numbers of SFTP version 3 (draft-ietf-secsh-filexfer-02), the version OpenSSH speaks, and of
 * the OpenSSH extensions the filter decides (PROTOCOL in OpenSSH's sources). A packet is a uint32
 * length, then that many bytes: a type byte, a uint32 request id (every packet but INIT and
 * VERSION), and the type's fields; strings are a uint32 length and bytes.
 */

export const SFTP_VERSION = 3;

export const PACKET = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const;

export const STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  OP_UNSUPPORTED: 8,
} as const;

/** OPEN's pflags. */
export const PFLAG = { READ: 0x01, WRITE: 0x02, APPEND: 0x04, CREAT: 0x08, TRUNC: 0x10, EXCL: 0x20 } as const;

/**
 * The largest packet either side may send, counting its length field's value. OpenSSH's client
 * and server both refuse more than 256 KiB (SFTP_MAX_MSG_LENGTH); 4 KiB more leaves room for
 * another implementation's headers without letting a peer make the sidecar buffer much.
 */
export const MAX_SFTP_PACKET = 256 * 1024 + 4096;

/** The most READ or WRITE data the sidecar tells a client it may ask for: a packet's room less its headers. */
export const MAX_SFTP_DATA = 256 * 1024 - 1024;

/**
 * The extensions the filter knows how to decide (sftp-operation.ts). The host's VERSION packet is
 * cut down to these, so clients do not try others; a request for any other is refused unsent.
 */
export const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set([
  'posix-rename@openssh.com',
  'hardlink@openssh.com',
  'statvfs@openssh.com',
  'fstatvfs@openssh.com',
  'fsync@openssh.com',
  'lsetstat@openssh.com',
  'limits@openssh.com',
  'expand-path@openssh.com',
  'copy-data',
  'users-groups-by-id@openssh.com',
]);
