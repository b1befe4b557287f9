/**
 * A real PostgreSQL server for tests: the machine's PostgreSQL (Debian packages), a cluster of its
 * own in a temp dir, listening on 127.0.0.1 at a random port and on a Unix socket in that temp dir.
 * It has a test user for each password authentication method and, with `tls`, a CA-signed
 * certificate and pg_hba rules that refuse connections without TLS. When the harness is root the
 * server runs as an unprivileged user (PostgreSQL refuses root). stop() shuts down fast and
 * removes the temp dir; a watchdog does both if the test process dies first.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, appendFileSync, constants, mkdirSync, mkdtempSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '@airlock/build';
import { HarnessError } from './errors.ts';
import { createCertificateAuthority, issueServingCertificate } from './pki.ts';
import { freePort } from './ports.ts';
import { type PostgresBinaries, postgresBinaries } from './postgres-binaries.ts';
import { createCluster, POSTGRES_TEST_USERS, type PostgresTestUser, SUPERUSER, TEST_DATABASE } from './postgres-cluster.ts';
import { type PsqlOptions, type PsqlResult, runPsql } from './psql.ts';
import { waitUntilReady } from './readiness.ts';
import { assertReachable, chownTree, commandAs, type RunAs, unprivilegedUser } from './run-as.ts';
import { type ManagedProcess, Supervisor } from './supervisor.ts';

export { POSTGRES_TEST_USERS, type PostgresTestUser, TEST_DATABASE } from './postgres-cluster.ts';

export interface PostgresCredentials {
  user: string;
  password: string;
}

export interface PostgresServerOptions {
  /** TLS with a certificate from a fresh CA (caCertPem); connections without TLS are rejected. */
  tls?: boolean;
  /** More postgresql.conf settings, for example `{ max_connections: 300 }` for a benchmark. */
  settings?: Record<string, string | number | boolean>;
  /**
   * Where the server's temp dir goes. Default: AIRLOCK_PG_TMPDIR, else /dev/shm when it is a tmpfs
   * with 1 GiB free (fast), else the system temp dir. Pass a disk for big benchmark data sets.
   */
  tmpDir?: string;
  /** Copy a cached initdb cluster instead of running initdb (default true). */
  cacheCluster?: boolean;
  log?: Log;
}

const START_TIMEOUT_MS = 30_000;
const FAST_SHUTDOWN_MS = 10_000;
const PORT_ATTEMPTS = 3;

export class PostgresServer {
  readonly host = '127.0.0.1';
  readonly database = TEST_DATABASE;
  readonly port: number;
  /** The temp dir: data dir, Unix socket, certificates, logs. */
  readonly dir: string;
  readonly dataDir: string;
  readonly tls: boolean;
  /** The CA that signed the server certificate (TLS servers only), and a file with it for sslrootcert. */
  readonly caCertPem: string | undefined;
  readonly caCertPath: string | undefined;
  readonly superuser: PostgresCredentials;
  readonly users: Readonly<Record<PostgresTestUser, PostgresCredentials>>;
  readonly binaries: PostgresBinaries;
  /** The OS user the server runs as when the harness is root; PgBouncer runs as it too. */
  readonly runAs: RunAs | undefined;
  readonly #supervisor: Supervisor;
  readonly #postmaster: ManagedProcess;
  #stopped: Promise<void> | undefined;

  private constructor(init: {
    port: number;
    dir: string;
    tls: boolean;
    caCertPem: string | undefined;
    superuser: PostgresCredentials;
    users: Record<PostgresTestUser, PostgresCredentials>;
    binaries: PostgresBinaries;
    runAs: RunAs | undefined;
    supervisor: Supervisor;
    postmaster: ManagedProcess;
  }) {
    this.port = init.port;
    this.dir = init.dir;
    this.dataDir = join(init.dir, 'data');
    this.tls = init.tls;
    this.caCertPem = init.caCertPem;
    this.caCertPath = init.caCertPem === undefined ? undefined : join(init.dir, 'ca.crt');
    this.superuser = init.superuser;
    this.users = init.users;
    this.binaries = init.binaries;
    this.runAs = init.runAs;
    this.#supervisor = init.supervisor;
    this.#postmaster = init.postmaster;
  }

  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const log = options.log ?? (() => {});
    const tls = options.tls ?? false;
    const binaries = postgresBinaries();
    const runAs = unprivilegedUser();
    const dir = mkdtempSync(join(options.tmpDir ?? scratchRoot(), 'airlock-pg-'));
    const supervisor = new Supervisor(join(dir, 'logs'));
    supervisor.ownDir(dir);
    let postmaster: ManagedProcess | undefined;
    try {
      assertReachable(dir, runAs);
      chownTree(dir, runAs);
      const dataDir = join(dir, 'data');
      const startedAt = performance.now();
      const how = await createCluster(binaries, dataDir, runAs, { cache: options.cacheCluster ?? true, log });
      const caCertPem = tls ? await writeCertificates(dir, runAs) : undefined;
      appendFileSync(join(dataDir, 'postgresql.conf'), postgresqlConf(dir, tls, options.settings ?? {}));
      writeFileSync(join(dataDir, 'pg_hba.conf'), pgHbaConf(tls));

      let port = 0;
      for (let attempt = 1; postmaster === undefined; attempt++) {
        port = await freePort();
        const candidate = supervisor.start('postgres', ...commandAs(runAs, binaries.postgres, ['-D', dataDir, '-p', String(port)]));
        try {
          await waitUntilReady('postgres', {
            exited: candidate.exited,
            ready: () => readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[7]?.trim() === 'ready',
            logTail: () => supervisor.logTail('postgres'),
            timeoutMs: START_TIMEOUT_MS,
          });
          postmaster = candidate;
        } catch (error) {
          await supervisor.stop('postgres');
          // Another process took the port between freePort() and the bind: try another.
          const lostPort =
            error instanceof HarnessError && error.code === 'ComponentExited' && /could not bind|in use/i.test(error.message);
          if (!lostPort || attempt === PORT_ATTEMPTS) throw error;
        }
      }

      const password = () => randomBytes(18).toString('base64url');
      const superuser = { user: SUPERUSER, password: password() };
      const users = Object.fromEntries(Object.keys(POSTGRES_TEST_USERS).map((user) => [user, { user, password: password() }])) as Record<
        PostgresTestUser,
        PostgresCredentials
      >;
      const setup = await runPsql(
        binaries.psql,
        { host: dir, port, database: 'postgres', user: SUPERUSER, password: undefined, sslMode: 'disable' },
        ['--quiet'],
        { input: passwordsSql(superuser, users) },
      );
      if (setup.code !== 0) throw new HarnessError('PostgresSetupFailed', `setting the test roles' passwords failed:\n${setup.stderr}`);
      log(
        `postgres ${binaries.version} ready on 127.0.0.1:${port}${tls ? ' (TLS)' : ''} in ${Math.round(performance.now() - startedAt)} ms (${how})`,
      );
      return new PostgresServer({ port, dir, tls, caCertPem, superuser, users, binaries, runAs, supervisor, postmaster });
    } catch (error) {
      await supervisor.stopAll();
      supervisor.release([dir]);
      throw error;
    }
  }

  /** The password of a role this harness created, or undefined. */
  password(user: string): string | undefined {
    if (user === this.superuser.user) return this.superuser.password;
    return Object.hasOwn(this.users, user) ? this.users[user as PostgresTestUser].password : undefined;
  }

  /** A libpq URI (also what node-postgres takes); verify-full against caCertPath for TLS servers. */
  connectionString(user: string = 'scram_user', options: { database?: string; password?: string } = {}): string {
    const password = options.password ?? this.password(user);
    const auth = `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}`;
    const query = this.caCertPath ? `sslmode=verify-full&sslrootcert=${encodeURIComponent(this.caCertPath)}` : 'sslmode=disable';
    return `postgresql://${auth}@${this.host}:${this.port}/${encodeURIComponent(options.database ?? this.database)}?${query}`;
  }

  /** Runs psql over TCP as `user` (default: the superuser), with its known password and, for TLS, verify-full. */
  psql(args: string[], options: PsqlOptions = {}): Promise<PsqlResult> {
    const user = options.user ?? this.superuser.user;
    return runPsql(
      this.binaries.psql,
      {
        host: this.host,
        port: this.port,
        database: options.database ?? this.database,
        user,
        password: options.password ?? this.password(user),
        sslMode: this.tls ? 'verify-full' : 'disable',
        sslRootCert: this.caCertPath,
      },
      args,
      options,
    );
  }

  logTail(lines = 30): string {
    return this.#supervisor.logTail('postgres', lines);
  }

  /** Fast shutdown (SIGINT: open sessions are ended), then the temp dir goes. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    const { child, exited } = this.#postmaster;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        child.ref(); // keep the event loop alive until it has exited
        process.kill(child.pid, 'SIGINT');
        const grace = new AbortController();
        await Promise.race([exited, sleep(FAST_SHUTDOWN_MS, undefined, { signal: grace.signal })]);
        grace.abort();
      } catch {
        // already gone
      }
    }
    await this.#supervisor.stopAll(); // SIGTERM, then SIGKILL, to the process group if it is still there
    this.#supervisor.release([this.dir]);
  }
}

async function writeCertificates(dir: string, runAs: RunAs | undefined): Promise<string> {
  const ca = await createCertificateAuthority('airlock-e2e-postgres-ca');
  const serving = await issueServingCertificate(ca, 'localhost', { dns: ['localhost'], ips: ['127.0.0.1'] });
  const tls = join(dir, 'tls');
  mkdirSync(tls, { mode: 0o700 });
  writeFileSync(join(tls, 'server.crt'), serving.certPem);
  // PostgreSQL refuses a key that others can read.
  writeFileSync(join(tls, 'server.key'), serving.keyPem, { mode: 0o600 });
  chownTree(tls, runAs);
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  return ca.certPem;
}

function postgresqlConf(dir: string, tls: boolean, settings: Record<string, string | number | boolean>): string {
  const all: Record<string, string | number | boolean> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    unix_socket_permissions: '0700',
    // A throwaway server: durability costs time and buys nothing.
    fsync: false,
    synchronous_commit: false,
    full_page_writes: false,
    wal_level: 'minimal',
    max_wal_senders: 0,
    shared_buffers: '32MB',
    password_encryption: 'scram-sha-256',
    lc_messages: 'C',
    log_line_prefix: '%m [%p] %q%u@%d ',
    ssl: tls,
    ...(tls ? { ssl_cert_file: join(dir, 'tls', 'server.crt'), ssl_key_file: join(dir, 'tls', 'server.key') } : {}),
    ...settings,
  };
  const value = (v: string | number | boolean) => (typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : String(v));
  return `\n# airlock e2e harness\n${Object.entries(all)
    .map(([k, v]) => `${k} = ${value(v)}\n`)
    .join('')}`;
}

/** Unix socket: trust (the socket dir is private to the server's user). TCP: one method per test user. */
function pgHbaConf(tls: boolean): string {
  const host = tls ? 'hostssl' : 'host';
  const lines = ['local all all trust'];
  if (tls) lines.push('hostnossl all all 0.0.0.0/0 reject');
  for (const [user, method] of Object.entries(POSTGRES_TEST_USERS)) lines.push(`${host} all ${user} 127.0.0.1/32 ${method}`);
  lines.push(`${host} all all 127.0.0.1/32 scram-sha-256`);
  return `${lines.join('\n')}\n`;
}

/** Fresh passwords for the roles the cached cluster has. */
function passwordsSql(superuser: PostgresCredentials, users: Record<PostgresTestUser, PostgresCredentials>): string {
  const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const password = (u: PostgresCredentials) => `ALTER ROLE ${u.user} PASSWORD ${literal(u.password)};`;
  return [
    password(superuser),
    password(users.scram_user),
    password(users.cleartext_user),
    password(users.trust_user),
    // Stored as an MD5 hash, so the md5 method really runs MD5 (it switches to SCRAM for SCRAM secrets).
    `SET password_encryption = 'md5';`,
    password(users.md5_user),
    '',
  ].join('\n');
}

/**
 * Where servers keep their temp dirs unless told: AIRLOCK_PG_TMPDIR when set, else /dev/shm when it
 * is a tmpfs with room (copying the cluster there takes ~0.1 s, onto a busy disk up to ~1 s), else
 * the system temp dir.
 */
function scratchRoot(): string {
  const configured = process.env.AIRLOCK_PG_TMPDIR;
  if (configured) return configured;
  try {
    accessSync('/dev/shm', constants.W_OK);
    const fs = statfsSync('/dev/shm');
    const TMPFS_MAGIC = 0x01021994;
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= 1024 ** 3) return '/dev/shm';
  } catch {
    // no /dev/shm
  }
  return tmpdir();
}
