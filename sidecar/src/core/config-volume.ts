/**
 * The config volume: a directory the sidecar shares with the agent containers, which mount it
 * read-only (the webhook gives the sidecar its path as AIRLOCK_CONFIG_DIR). Protocols write there
 * the files the agents' own tools read (SSH: ssh_config and known_hosts), each replaced whole:
 * written to a temporary file beside it and renamed over it, so a reader sees the old file or the
 * new one, never half of one. A file whose content did not change is left alone.
 * Without the volume (static mode, tests) there is no ConfigVolume and nothing is written.
 */
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** World-readable: the agent containers may run as any user. */
const FILE_MODE = 0o644;

export class ConfigVolumeError extends Error {
  readonly code = 'ConfigVolumeWrite';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'ConfigVolumeError';
  }
}

export class ConfigVolume {
  /** An absolute path; the agents see the volume at the same path. */
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  path(file: string): string {
    return join(this.directory, file);
  }

  /** Replaces `file` with `content` unless it holds exactly that already. Throws ConfigVolumeError. */
  write(file: string, content: string): 'written' | 'unchanged' {
    const path = this.path(file);
    if (readIfPresent(path) === content) return 'unchanged';
    const temporary = this.path(`.${file}.tmp`);
    try {
      writeFileSync(temporary, content, { mode: FILE_MODE });
      // The mode given to writeFileSync is narrowed by the umask.
      chmodSync(temporary, FILE_MODE);
      renameSync(temporary, path);
    } catch (cause) {
      rmSync(temporary, { force: true });
      const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
      throw new ConfigVolumeError(
        `cannot write ${path} on the config volume (${reason}): the agents' tools would not find it; check that the volume is mounted writable in the sidecar`,
        { cause },
      );
    }
    return 'written';
  }
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
