/**
 * Runs the real psql against a test server, hermetically: the caller's PG* variables, ~/.pgpass
 * and ~/.psqlrc play no part, psql never prompts, and a script stops at its first error. The
 * connection comes in through libpq's environment variables, so anything in `args` (`-d
 * 'sslmode=disable'`, `-p`, `-U`) still overrides it.
 */
import { spawn } from 'node:child_process';

export interface PsqlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PsqlOptions {
  /** Role to connect as; the server's superuser when omitted. */
  user?: string;
  /** Defaults to the role's known password; pass '' to send none. */
  password?: string;
  database?: string;
  /** Written to psql's stdin (a script, or COPY data). */
  input?: string;
  timeoutMs?: number;
}

export interface PsqlConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Sent when the server asks; psql never prompts. */
  password?: string | undefined;
  /** libpq's default (prefer) when omitted. */
  sslMode?: 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full' | undefined;
  sslRootCert?: string | undefined;
}

/** Never throws on a non-zero exit; a psql killed by the timeout reports code -1. */
export function runPsql(
  psql: string,
  connection: PsqlConnection,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<PsqlResult> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('PG') && key !== 'LANGUAGE'),
  );
  Object.assign(env, {
    // English messages for tests to match, UTF-8 client encoding.
    LC_ALL: 'C.UTF-8',
    PGHOST: connection.host,
    PGPORT: String(connection.port),
    PGDATABASE: connection.database,
    PGUSER: connection.user,
    PGCONNECT_TIMEOUT: '10',
    PGAPPNAME: 'airlock-e2e',
    // A file that does not exist, so ~/.pgpass is not read and libpq does not warn.
    PGPASSFILE: '/nonexistent/airlock-e2e-pgpass',
    ...(connection.sslMode ? { PGSSLMODE: connection.sslMode } : {}),
    ...(connection.password ? { PGPASSWORD: connection.password } : {}),
    ...(connection.sslRootCert ? { PGSSLROOTCERT: connection.sslRootCert } : {}),
  });
  return new Promise((resolve, reject) => {
    const child = spawn(psql, ['--no-psqlrc', '--no-password', '--set=ON_ERROR_STOP=1', ...args], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {}); // psql may exit before reading all input
    child.stdin.end(options.input ?? '');
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
