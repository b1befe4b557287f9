/**
 * The statements PostgreSQL itself says it received, read from its JSON log (log_destination
 * jsonlog, log_statement all): the fuzzer's ground truth for what reached the server, whatever
 * the sidecar believes it forwarded. Reads the file incrementally.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** postgresql.conf settings that make the server log every statement it runs, one JSON object a line. */
export const STATEMENT_LOG_SETTINGS: Readonly<Record<string, string | number | boolean>> = {
  logging_collector: true,
  log_destination: 'jsonlog',
  log_directory: 'log',
  log_filename: 'server.log',
  log_rotation_size: 0,
  log_rotation_age: 0,
  log_file_mode: '0644',
  log_statement: 'all',
};

export interface LoggedStatement {
  readonly text: string;
  readonly userName: string;
  readonly applicationName: string;
}

interface JsonLogEntry {
  readonly error_severity?: string;
  readonly message?: string;
  readonly user?: string;
  readonly application_name?: string;
}

/** `statement: ...` for the simple protocol, `execute <name>: ...` for the extended one. */
const STATEMENT = /^(?:statement|execute [^:]*): ([\s\S]*)$/;

export class ServerStatementLog {
  readonly #path: string;
  #offset = 0;
  #partial = '';

  constructor(dataDir: string) {
    // jsonlog takes log_filename and replaces its .log with .json.
    this.#path = join(dataDir, 'log', 'server.json');
  }

  /** The statements logged since the last call. */
  readNew(): LoggedStatement[] {
    let size: number;
    try {
      size = statSync(this.#path).size;
    } catch {
      return [];
    }
    if (size <= this.#offset) return [];
    const buffer = Buffer.alloc(size - this.#offset);
    const fd = openSync(this.#path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.#offset);
    } finally {
      closeSync(fd);
    }
    this.#offset = size;
    const lines = (this.#partial + buffer.toString('utf8')).split('\n');
    this.#partial = lines.pop() ?? '';
    const statements: LoggedStatement[] = [];
    for (const line of lines) {
      if (line === '') continue;
      const entry = JSON.parse(line) as JsonLogEntry;
      const match = entry.error_severity === 'LOG' ? STATEMENT.exec(entry.message ?? '') : null;
      if (match) statements.push({ text: match[1] ?? '', userName: entry.user ?? '', applicationName: entry.application_name ?? '' });
    }
    return statements;
  }
}
