/**
 * One packet from the agent, read as far as deciding it needs: its type, request id, the names
 * (paths) and handles it carries, OPEN's pflags, an EXTENDED request's name. Attributes and data
 * are left unread: they never change which file a request touches. A packet too short for its
 * fields is malformed (SftpProtocolError); a type or extension the filter does not know is read as
 * far as its id and marked unknown, to be refused unsent.
 */
import { SftpProtocolError } from './sftp-error.ts';
import { SftpReader } from './sftp-fields.ts';
import { KNOWN_EXTENSIONS, PACKET } from './sftp-protocol.ts';

export interface SftpRequest {
  readonly type: number;
  /** The request id the reply will carry; 0 for INIT, which has none. */
  readonly id: number;
  /** The request as the record names it: `open`, `remove`, `posix-rename@openssh.com`, `type 42`. */
  readonly name: string;
  /** File names, in the packet's order (RENAME: old, new), as the bytes sent. */
  readonly paths: readonly Buffer[];
  readonly handles: readonly Buffer[];
  /** OPEN only. */
  readonly pflags?: number;
  /** The filter knows what this request does. */
  readonly known: boolean;
}

type Field = 'path' | 'handle' | 'pflags' | 'uint32' | 'uint64' | 'string';

const REQUESTS: Readonly<Record<number, { readonly name: string; readonly fields: readonly Field[] }>> = {
  [PACKET.OPEN]: { name: 'open', fields: ['path', 'pflags'] },
  [PACKET.CLOSE]: { name: 'close', fields: ['handle'] },
  [PACKET.READ]: { name: 'read', fields: ['handle', 'uint64', 'uint32'] },
  [PACKET.WRITE]: { name: 'write', fields: ['handle', 'uint64', 'string'] },
  [PACKET.LSTAT]: { name: 'lstat', fields: ['path'] },
  [PACKET.FSTAT]: { name: 'fstat', fields: ['handle'] },
  [PACKET.SETSTAT]: { name: 'setstat', fields: ['path'] },
  [PACKET.FSETSTAT]: { name: 'fsetstat', fields: ['handle'] },
  [PACKET.OPENDIR]: { name: 'opendir', fields: ['path'] },
  [PACKET.READDIR]: { name: 'readdir', fields: ['handle'] },
  [PACKET.REMOVE]: { name: 'remove', fields: ['path'] },
  [PACKET.MKDIR]: { name: 'mkdir', fields: ['path'] },
  [PACKET.RMDIR]: { name: 'rmdir', fields: ['path'] },
  [PACKET.REALPATH]: { name: 'realpath', fields: ['path'] },
  [PACKET.STAT]: { name: 'stat', fields: ['path'] },
  [PACKET.RENAME]: { name: 'rename', fields: ['path', 'path'] },
  [PACKET.READLINK]: { name: 'readlink', fields: ['path'] },
  // OpenSSH sends target then link, the reverse of the draft; both are paths either way.
  [PACKET.SYMLINK]: { name: 'symlink', fields: ['path', 'path'] },
};

const EXTENSIONS: Readonly<Record<string, readonly Field[]>> = {
  'posix-rename@openssh.com': ['path', 'path'],
  'hardlink@openssh.com': ['path', 'path'],
  'statvfs@openssh.com': ['path'],
  'fstatvfs@openssh.com': ['handle'],
  'fsync@openssh.com': ['handle'],
  'lsetstat@openssh.com': ['path'],
  'limits@openssh.com': [],
  'expand-path@openssh.com': ['path'],
  'copy-data': ['handle', 'uint64', 'uint64', 'handle', 'uint64'],
  'users-groups-by-id@openssh.com': ['string', 'string'],
};

interface Read {
  paths: Buffer[];
  handles: Buffer[];
  pflags?: number;
}

function readFields(reader: SftpReader, fields: readonly Field[], what: string): Read {
  const read: Read = { paths: [], handles: [] };
  for (const field of fields) {
    if (field === 'path') read.paths.push(reader.string(`${what} path`));
    else if (field === 'handle') read.handles.push(reader.string(`${what} handle`));
    else if (field === 'pflags') read.pflags = reader.uint32(`${what} flags`);
    else if (field === 'uint32') reader.uint32(what);
    else if (field === 'uint64') reader.uint64(what);
    else reader.string(what);
  }
  return read;
}

/** Reads one whole packet (sftp-framer.ts) the agent sent. */
export function readRequest(packet: Buffer): SftpRequest {
  const reader = new SftpReader(packet);
  const type = reader.byte('type');
  if (type === PACKET.INIT) {
    reader.uint32('INIT version');
    return { type, id: 0, name: 'init', paths: [], handles: [], known: true };
  }
  const id = reader.uint32('request id');
  if (type === PACKET.EXTENDED) {
    const extension = reader.string('extension name').toString('latin1');
    const fields = Object.hasOwn(EXTENSIONS, extension) ? EXTENSIONS[extension] : undefined;
    if (fields === undefined || !KNOWN_EXTENSIONS.has(extension)) {
      return { type, id, name: `extension ${printable(extension)}`, paths: [], handles: [], known: false };
    }
    return { type, id, name: extension, ...readFields(reader, fields, extension), known: true };
  }
  const request = REQUESTS[type];
  if (request === undefined) {
    if (type > PACKET.EXTENDED || (type >= PACKET.STATUS && type <= PACKET.ATTRS) || type === PACKET.VERSION) {
      // Replies and versions are the host's to send: an agent that sends one is not speaking SFTP.
      throw new SftpProtocolError('SftpOutOfOrder', `the agent sent SFTP packet type ${type}, which only a server sends`);
    }
    return { type, id, name: `type ${type}`, paths: [], handles: [], known: false };
  }
  return { type, id, name: request.name, ...readFields(reader, request.fields, request.name), known: true };
}

/** Extension names are the agent's text: only their plain characters go into records and messages. */
const printable = (text: string): string => text.replace(/[^\x21-\x7e]/g, '?').slice(0, 64);
