/**
 * Finds the PostgreSQL and PgBouncer programs the integration tests start: the Debian packages
 * (scripts/install-system-packages.sh installs them), the newest major version when several are
 * installed, or the directories named by AIRLOCK_PG_BINDIR and AIRLOCK_PGBOUNCER.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from './errors.ts';

export interface PostgresBinaries {
  binDir: string;
  postgres: string;
  initdb: string;
  psql: string;
  /** For example 15.18. */
  version: string;
  major: number;
}

const INSTALL_HINT = 'run scripts/install-system-packages.sh (Debian packages postgresql, postgresql-client, pgbouncer)';

export function postgresBinaries(): PostgresBinaries {
  const binDir = process.env.AIRLOCK_PG_BINDIR || debianBinDir() || dirOnPath('initdb');
  if (!binDir || !existsSync(join(binDir, 'initdb')) || !existsSync(join(binDir, 'postgres'))) {
    throw new HarnessError(
      'PostgresMissing',
      `no PostgreSQL server programs (initdb, postgres) found; ${INSTALL_HINT}, or set AIRLOCK_PG_BINDIR`,
    );
  }
  const postgres = join(binDir, 'postgres');
  const printed = spawnSync(postgres, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const match = /\(PostgreSQL\) (\d+)(?:\.(\d+))?/.exec(printed);
  if (!match?.[1]) throw new HarnessError('PostgresBroken', `${postgres} --version printed ${JSON.stringify(printed)}`);
  return {
    binDir,
    postgres,
    initdb: join(binDir, 'initdb'),
    psql: existsSync(join(binDir, 'psql')) ? join(binDir, 'psql') : 'psql',
    version: match[2] ? `${match[1]}.${match[2]}` : match[1],
    major: Number(match[1]),
  };
}

export function pgbouncerBinary(): string {
  const dirs = [dirOnPath('pgbouncer'), '/usr/sbin', '/usr/local/sbin'];
  const found =
    process.env.AIRLOCK_PGBOUNCER || dirs.flatMap((d) => (d && existsSync(join(d, 'pgbouncer')) ? [join(d, 'pgbouncer')] : []))[0];
  if (!found) throw new HarnessError('PgBouncerMissing', `pgbouncer not found; ${INSTALL_HINT}, or set AIRLOCK_PGBOUNCER`);
  return found;
}

function debianBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'))[0];
}

function dirOnPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, program))) return dir;
  }
  return undefined;
}
