/**
 * A fresh cluster for each test server, made fast. initdb plus the test roles and database run
 * once per PostgreSQL build, in single-user mode, and the result is cached in ~/.cache/airlock;
 * each server then copies it and only sets fresh passwords once it runs. The cache key covers the
 * binary's path and version, the initdb arguments and the setup SQL, so an upgrade or a change
 * here makes a new one.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheRoot, type Log } from '@airlock/build';
import { HarnessError } from './errors.ts';
import type { PostgresBinaries } from './postgres-binaries.ts';
import { chownTree, commandAs, type RunAs } from './run-as.ts';

/** The login roles every server has, and the pg_hba.conf method each one authenticates with. */
export const POSTGRES_TEST_USERS = {
  scram_user: 'scram-sha-256',
  md5_user: 'md5',
  cleartext_user: 'password',
  trust_user: 'trust',
} as const;

export type PostgresTestUser = keyof typeof POSTGRES_TEST_USERS;

export const SUPERUSER = 'postgres';
/** The database every server has, owned by scram_user. */
export const TEST_DATABASE = 'airlock_test';

function initdbArgs(binaries: PostgresBinaries): string[] {
  return [
    `--username=${SUPERUSER}`,
    // Over TCP pg_hba.conf is rewritten per server; this is for the Unix socket in its private dir.
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
    ...(binaries.major >= 14 ? ['--no-instructions'] : []),
  ];
}

// Single-user mode: one statement per line. Passwords are set per server, once it runs.
const SETUP_SQL = [
  ...Object.keys(POSTGRES_TEST_USERS).map((user) => `CREATE ROLE ${user} LOGIN;`),
  `CREATE DATABASE ${TEST_DATABASE} OWNER scram_user;`,
  '',
].join('\n');

/**
 * Fills `dataDir` (which must not exist; its parent must belong to `runAs`) with a new cluster
 * owned by `runAs`, with the test roles (no passwords yet) and database. Returns how it was made.
 */
export async function createCluster(
  binaries: PostgresBinaries,
  dataDir: string,
  runAs: RunAs | undefined,
  options: { cache: boolean; log: Log },
): Promise<'cached' | 'initdb'> {
  const args = initdbArgs(binaries);
  const key = createHash('sha256')
    .update(JSON.stringify([binaries.postgres, binaries.version, args, SETUP_SQL]))
    .digest('hex')
    .slice(0, 12);
  const cached = join(cacheRoot(), `postgres-${binaries.version}-cluster-${key}`);
  if (options.cache && existsSync(join(cached, 'global', 'pg_control'))) {
    cpSync(cached, dataDir, { recursive: true });
    // cpSync keeps file modes but makes directories with the umask; postgres insists on 0700.
    chmodSync(dataDir, 0o700);
    chownTree(dataDir, runAs);
    return 'cached';
  }
  await run(binaries.initdb, [`--pgdata=${dataDir}`, ...args], runAs, dataDir);
  await run(binaries.postgres, ['--single', '-D', dataDir, '-c', 'exit_on_error=on', 'postgres'], runAs, dataDir, SETUP_SQL);
  if (options.cache) saveToCache(dataDir, cached, options.log);
  return 'initdb';
}

/** Best effort: copies under a private name, then renames, so a concurrent test doing the same loses harmlessly. */
function saveToCache(dataDir: string, cached: string, log: Log): void {
  let staging: string | undefined;
  try {
    mkdirSync(dirname(cached), { recursive: true });
    staging = mkdtempSync(`${cached}.tmp-`);
    cpSync(dataDir, join(staging, 'data'), { recursive: true });
    renameSync(join(staging, 'data'), cached);
    log(`cached the new cluster in ${cached}`);
  } catch (error) {
    if (!existsSync(cached)) log(`could not cache the cluster in ${cached}: ${(error as Error).message}`);
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true });
  }
}

function run(program: string, args: string[], runAs: RunAs | undefined, dataDir: string, input = ''): Promise<void> {
  const [command, commandArgs] = commandAs(runAs, program, args);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG') && !k.startsWith('LC_')));
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      // The unprivileged user may not be able to enter our working directory.
      cwd: dirname(dataDir),
      env: { ...env, LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stdin.end(input);
    child.on('error', (cause) => reject(new HarnessError('ClusterCreationFailed', `could not run ${program}`, { cause })));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new HarnessError('ClusterCreationFailed', `${program} ${args[0]} exited with ${code}:\n${output.trimEnd()}`)),
    );
  });
}
