/**
 * A real PgBouncer in front of a test PostgresServer: 127.0.0.1 at a random port, every database
 * of the upstream, the upstream's test users in a userlist with their passwords (so PgBouncer can
 * log in upstream with any method), SCRAM or MD5 towards clients, verify-full TLS towards a TLS
 * upstream. It runs as the upstream's user when the harness is root (PgBouncer refuses root);
 * stop() ends it and removes its temp dir, and a watchdog does both if the test process dies.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from '@airlock/build';
import { HarnessError } from './errors.ts';
import { freePort, isListening } from './ports.ts';
import type { PostgresServer } from './postgres.ts';
import { pgbouncerBinary } from './postgres-binaries.ts';
import { type PsqlOptions, type PsqlResult, runPsql } from './psql.ts';
import { waitUntilReady } from './readiness.ts';
import { assertReachable, chownTree, commandAs } from './run-as.ts';
import { Supervisor } from './supervisor.ts';

export interface PgBouncerOptions {
  upstream: PostgresServer;
  poolMode: 'session' | 'transaction';
  /** How clients authenticate to PgBouncer (default scram-sha-256). */
  authType?: 'scram-sha-256' | 'md5';
  /** More [pgbouncer] settings, for example `{ default_pool_size: 50 }` for a benchmark. */
  settings?: Record<string, string | number>;
  log?: Log;
}

const START_TIMEOUT_MS = 15_000;
const PORT_ATTEMPTS = 3;

export class PgBouncer {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  readonly upstream: PostgresServer;
  readonly poolMode: 'session' | 'transaction';
  readonly authType: 'scram-sha-256' | 'md5';
  readonly #supervisor: Supervisor;
  #stopped: Promise<void> | undefined;

  private constructor(init: {
    port: number;
    dir: string;
    upstream: PostgresServer;
    poolMode: 'session' | 'transaction';
    authType: 'scram-sha-256' | 'md5';
    supervisor: Supervisor;
  }) {
    this.port = init.port;
    this.dir = init.dir;
    this.upstream = init.upstream;
    this.poolMode = init.poolMode;
    this.authType = init.authType;
    this.#supervisor = init.supervisor;
  }

  static async start(options: PgBouncerOptions): Promise<PgBouncer> {
    const log = options.log ?? (() => {});
    const { upstream, poolMode } = options;
    const authType = options.authType ?? 'scram-sha-256';
    const binary = pgbouncerBinary();
    const runAs = upstream.runAs;
    const dir = mkdtempSync(join(tmpdir(), 'airlock-pgbouncer-'));
    const supervisor = new Supervisor(join(dir, 'logs'));
    supervisor.ownDir(dir);
    try {
      assertReachable(dir, runAs);
      const userlist = [upstream.superuser, ...Object.values(upstream.users)].map((u) => `"${u.user}" "${u.password}"\n`).join('');
      writeFileSync(join(dir, 'userlist.txt'), userlist, { mode: 0o600 });
      if (upstream.caCertPem) writeFileSync(join(dir, 'upstream-ca.crt'), upstream.caCertPem);
      chownTree(dir, runAs);
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        writeFileSync(
          join(dir, 'pgbouncer.ini'),
          pgbouncerIni({ dir, port, upstream, poolMode, authType, settings: options.settings ?? {} }),
        );
        const proc = supervisor.start('pgbouncer', ...commandAs(runAs, binary, [join(dir, 'pgbouncer.ini')]));
        try {
          await waitUntilReady('pgbouncer', {
            exited: proc.exited,
            ready: () => isListening(port),
            logTail: () => supervisor.logTail('pgbouncer'),
            timeoutMs: START_TIMEOUT_MS,
          });
          log(`pgbouncer (${poolMode} pooling, ${authType}) ready on 127.0.0.1:${port} in front of ${upstream.port}`);
          return new PgBouncer({ port, dir, upstream, poolMode, authType, supervisor });
        } catch (error) {
          await supervisor.stop('pgbouncer');
          const lostPort = error instanceof HarnessError && error.code === 'ComponentExited' && /in use/i.test(error.message);
          if (!lostPort || attempt === PORT_ATTEMPTS) throw error;
        }
      }
    } catch (error) {
      await supervisor.stopAll();
      supervisor.release([dir]);
      throw error;
    }
  }

  /** A libpq URI for connecting through PgBouncer (no TLS between client and PgBouncer). */
  connectionString(user: string = 'scram_user', options: { database?: string; password?: string } = {}): string {
    const password = options.password ?? this.upstream.password(user);
    const auth = `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}`;
    return `postgresql://${auth}@${this.host}:${this.port}/${encodeURIComponent(options.database ?? this.upstream.database)}?sslmode=disable`;
  }

  /** Runs psql through PgBouncer as `user` (default: the upstream's superuser). */
  psql(args: string[], options: PsqlOptions = {}): Promise<PsqlResult> {
    const user = options.user ?? this.upstream.superuser.user;
    return runPsql(
      this.upstream.binaries.psql,
      {
        host: this.host,
        port: this.port,
        database: options.database ?? this.upstream.database,
        user,
        password: options.password ?? this.upstream.password(user),
        sslMode: 'disable',
      },
      args,
      options,
    );
  }

  logTail(lines = 30): string {
    return this.#supervisor.logTail('pgbouncer', lines);
  }

  /** Immediate shutdown (SIGTERM), then the temp dir goes. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.#supervisor.stopAll();
      this.#supervisor.release([this.dir]);
    })();
    return this.#stopped;
  }
}

function pgbouncerIni(c: {
  dir: string;
  port: number;
  upstream: PostgresServer;
  poolMode: string;
  authType: string;
  settings: Record<string, string | number>;
}): string {
  const settings: Record<string, string | number> = {
    listen_addr: '127.0.0.1',
    listen_port: c.port,
    unix_socket_dir: '',
    auth_type: c.authType,
    auth_file: join(c.dir, 'userlist.txt'),
    pool_mode: c.poolMode,
    admin_users: c.upstream.superuser.user,
    stats_users: c.upstream.superuser.user,
    // Drivers (node-postgres, JDBC) send these; without this PgBouncer refuses them.
    ignore_startup_parameters: 'extra_float_digits,options',
    max_client_conn: 500,
    default_pool_size: 20,
    ...(c.upstream.caCertPem
      ? { server_tls_sslmode: 'verify-full', server_tls_ca_file: join(c.dir, 'upstream-ca.crt') }
      : { server_tls_sslmode: 'disable' }),
    ...c.settings,
  };
  return [
    '[databases]',
    `* = host=${c.upstream.host} port=${c.upstream.port}`,
    '',
    '[pgbouncer]',
    ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`),
    '',
  ].join('\n');
}
