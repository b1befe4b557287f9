/**
 * What one SFTP request does, for the policy: the decision core of the filter (ADR 0024).
 *
 * - A request that names paths is a file operation, decided by its direction and every path:
 *   download reads content or a listing from the host (OPEN for reading, OPENDIR); upload changes
 *   it (OPEN with any other flag: write, append, create, truncate, exclusive; REMOVE, RMDIR, MKDIR,
 *   SETSTAT, RENAME, SYMLINK, posix-rename, hardlink, lsetstat); an OPEN for reading and writing is
 *   both. A lookup (STAT, LSTAT, READLINK, REALPATH, statvfs, expand-path) reads a name or
 *   attributes, not content, and has no direction: any rule that covers its path covers it, since
 *   clients look before they write (scp STATs its target, sftp's rm LSTATs first). REALPATH of `.`
 *   (the login directory, which every client asks first) names no file the agent chose: it goes
 *   with the channel.
 * - A request on a handle (READ, WRITE, READDIR, FSTAT, CLOSE, fsync, fstatvfs, copy-data) is
 *   covered by the OPEN or OPENDIR that made the handle, for what that open was allowed: a WRITE
 *   only on a handle opened for writing. FSETSTAT on a handle opened only for reading changes the
 *   file, so it is decided as an upload of that file's path.
 * - limits and users-groups-by-id name no file and go with the channel.
 * - Anything else (another type, another extension) is refused unsent.
 */
import { normalizeTransferPath, SHELL_DYNAMIC, type SshFacts, type TransferDirection } from '@airlock/contracts/policy';
import { nameText } from './sftp-fields.ts';
import { PACKET, PFLAG } from './sftp-protocol.ts';
import type { SftpRequest } from './sftp-request.ts';

/** What a handle was opened for, which is what requests on it may do. */
export type HandleUse = 'read' | 'write' | 'list' | 'any';

export type RequestClass =
  /** Decided by its directions and paths; `opens` when its reply is a handle. */
  | { readonly kind: 'file'; readonly directions: readonly TransferDirection[]; readonly detail?: string; readonly opens?: OpenedFor }
  /** Covered by the open of each handle it names, if that open allowed the use. */
  | { readonly kind: 'handle'; readonly uses: readonly HandleUse[]; readonly closes?: boolean }
  /** FSETSTAT: covered by an open for writing, else decided as an upload of the handle's path. */
  | { readonly kind: 'setHandleAttributes' }
  /** Moves nothing and names nothing the agent chose. */
  | { readonly kind: 'channel' }
  | { readonly kind: 'unsupported' };

export interface OpenedFor {
  readonly read: boolean;
  readonly write: boolean;
  readonly list: boolean;
}

const FLAG_NAMES: readonly [number, string][] = [
  [PFLAG.READ, 'read'],
  [PFLAG.WRITE, 'write'],
  [PFLAG.APPEND, 'append'],
  [PFLAG.CREAT, 'create'],
  [PFLAG.TRUNC, 'truncate'],
  [PFLAG.EXCL, 'exclusive'],
];

function openClass(pflags: number): RequestClass {
  // Any flag but READ may change the file (and flags the draft does not define are the host's to read).
  const write = (pflags & ~PFLAG.READ) !== 0;
  // Without WRITE the host opens read-only (OpenSSH: O_RDONLY, plus O_APPEND, O_CREAT, O_TRUNC as flagged).
  const read = (pflags & PFLAG.READ) !== 0 || (pflags & PFLAG.WRITE) === 0;
  const directions: TransferDirection[] = [...(read ? ['download' as const] : []), ...(write ? ['upload' as const] : [])];
  const names = FLAG_NAMES.filter(([bit]) => (pflags & bit) !== 0).map(([, name]) => name);
  if ((pflags & ~0x3f) !== 0) names.push(`0x${(pflags & ~0x3f).toString(16)}`);
  return { kind: 'file', directions, detail: names.join(',') || 'read', opens: { read, write, list: false } };
}

const DOWNLOAD: readonly TransferDirection[] = ['download'];
const UPLOAD: readonly TransferDirection[] = ['upload'];
const LOOKUP: readonly TransferDirection[] = [];

const BY_NAME: Readonly<Record<string, RequestClass>> = {
  opendir: { kind: 'file', directions: DOWNLOAD, opens: { read: false, write: false, list: true } },
  stat: { kind: 'file', directions: LOOKUP },
  lstat: { kind: 'file', directions: LOOKUP },
  readlink: { kind: 'file', directions: LOOKUP },
  remove: { kind: 'file', directions: UPLOAD },
  rmdir: { kind: 'file', directions: UPLOAD },
  mkdir: { kind: 'file', directions: UPLOAD },
  setstat: { kind: 'file', directions: UPLOAD },
  rename: { kind: 'file', directions: UPLOAD },
  symlink: { kind: 'file', directions: UPLOAD },
  'posix-rename@openssh.com': { kind: 'file', directions: UPLOAD },
  'hardlink@openssh.com': { kind: 'file', directions: UPLOAD },
  'lsetstat@openssh.com': { kind: 'file', directions: UPLOAD },
  realpath: { kind: 'file', directions: LOOKUP },
  'statvfs@openssh.com': { kind: 'file', directions: LOOKUP },
  'expand-path@openssh.com': { kind: 'file', directions: LOOKUP },
  close: { kind: 'handle', uses: ['any'], closes: true },
  read: { kind: 'handle', uses: ['read'] },
  write: { kind: 'handle', uses: ['write'] },
  readdir: { kind: 'handle', uses: ['list'] },
  fstat: { kind: 'handle', uses: ['any'] },
  'fsync@openssh.com': { kind: 'handle', uses: ['any'] },
  'fstatvfs@openssh.com': { kind: 'handle', uses: ['any'] },
  'copy-data': { kind: 'handle', uses: ['read', 'write'] },
  fsetstat: { kind: 'setHandleAttributes' },
  'limits@openssh.com': { kind: 'channel' },
  'users-groups-by-id@openssh.com': { kind: 'channel' },
};

const LOGIN_DIRECTORY = new Set(['', '.']);

export function classifyRequest(request: SftpRequest): RequestClass {
  if (!request.known) return { kind: 'unsupported' };
  if (request.type === PACKET.OPEN) return openClass(request.pflags ?? 0);
  if (request.type === PACKET.REALPATH && LOGIN_DIRECTORY.has(request.paths[0]?.toString('latin1') ?? '')) return { kind: 'channel' };
  return BY_NAME[request.name] ?? { kind: 'unsupported' };
}

/** Shell-style quoting for the record: a name with spaces or quotes stays one readable word. */
export function quotePath(path: string): string {
  if (/^[\w@%+=:,./~-]+$/.test(path)) return path;
  return `'${path.replace(/'/g, `'\\''`)}'`;
}

/**
 * Linux's PATH_MAX: no host opens a longer path, and the glob matcher's work grows with a path's
 * length, so a longer one is not matched at all (it is unknown).
 */
export const MAX_PATH_BYTES = 4096;

/**
 * A path as the policy reads it: `~` at the start (which only expand-path expands) is the home
 * directory, filled in by the host. Undefined when the name is not UTF-8 text without NUL bytes,
 * or is longer than MAX_PATH_BYTES.
 */
function policyPath(bytes: Buffer): string | undefined {
  if (bytes.length > MAX_PATH_BYTES) return undefined;
  const text = nameText(bytes);
  if (text === undefined) return undefined;
  const home = text.startsWith('~') ? `${SHELL_DYNAMIC}${text.includes('/') ? text.slice(text.indexOf('/')) : ''}` : text;
  return normalizeTransferPath(home);
}

/** The policy's facts for one file operation of an sftp channel. */
export function fileOperationFacts(
  name: string,
  directions: readonly TransferDirection[],
  names: readonly Buffer[],
  detail?: string,
): SshFacts {
  const paths = names.map(policyPath);
  const unreadable = paths.some((path) => path === undefined);
  const shown = names.map((bytes) =>
    bytes.length > MAX_PATH_BYTES ? `<${bytes.length} bytes>` : quotePath(nameText(bytes) ?? bytes.toString('utf8')),
  );
  // The direction is in the record as the policy read it: `remove` is an upload, `stat` a download.
  const text = [`sftp ${name}`, ...(detail ? [detail] : []), ...shown, `(${directions.join(' and ') || 'lookup'})`].join(' ');
  return {
    text,
    kinds: unreadable ? ['subsystem', 'unknown'] : ['subsystem'],
    requestType: 'subsystem',
    subsystem: 'sftp',
    writes: [],
    directions,
    paths: paths.map((path) => path ?? SHELL_DYNAMIC),
    ...(unreadable ? { unknownReason: `a path is not UTF-8 text, holds a NUL byte, or is longer than ${MAX_PATH_BYTES} bytes` } : {}),
  };
}

/** The facts of a request the filter cannot decide: unknown, never allowed, recorded as asked. */
export function unsupportedFacts(name: string): SshFacts {
  return {
    text: `sftp ${name}`,
    kinds: ['subsystem', 'unknown'],
    requestType: 'subsystem',
    subsystem: 'sftp',
    writes: [],
    unknownReason: `SFTP ${name} is not a request the sidecar reads`,
  };
}
