/**
 * The PostgreSQL and PgBouncer the integration tests stand on: each test user authenticates with
 * its own method, a TLS server refuses plain connections and passes verify-full, PgBouncer passes
 * queries, and nothing is left behind, neither after stop() nor when the test process is killed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createCertificateAuthority,
  eventually,
  isAlive,
  isListening,
  PgBouncer,
  POSTGRES_TEST_USERS,
  PostgresServer,
  type PostgresTestUser,
} from '@airlock/testkit';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const USERS = Object.keys(POSTGRES_TEST_USERS) as PostgresTestUser[];
// "connection authenticated" names the method pg_hba.conf picked (PostgreSQL 14 and later).
const settings = { log_connections: true };

let plain: PostgresServer;
let tls: PostgresServer;
before(async () => {
  [plain, tls] = await Promise.all([PostgresServer.start({ settings, log }), PostgresServer.start({ tls: true, settings, log })]);
});
after(async () => {
  await Promise.all([plain?.stop(), tls?.stop()]);
});

describe('plain server', () => {
  test('listens on 127.0.0.1 only, with its socket in its own temp dir', async () => {
    const result = await plain.psql(['-tA', '-c', 'SHOW listen_addresses', '-c', 'SHOW unix_socket_directories', '-c', 'SHOW ssl']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['127.0.0.1', plain.dir, 'off']);
  });

  for (const user of USERS) {
    test(`${user} logs in with psql and PGPASSWORD, by ${POSTGRES_TEST_USERS[user]}`, async () => {
      const result = await plain.psql(['-tA', '-c', 'SELECT current_user, current_database()'], { user });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), `${user}|airlock_test`);
      const method = POSTGRES_TEST_USERS[user];
      if (method !== 'trust') {
        // The server's stderr reaches its log file through a pipe: a moment after psql returned.
        const line = new RegExp(`connection authenticated: identity="${user}" method=${method} `);
        await eventually(`the log line ${line}`, async () => (line.test(plain.logTail(200)) ? true : undefined), {
          detail: () => plain.logTail(20),
        });
      }
    });
  }

  test('a wrong password is refused for every password method; trust needs none', async () => {
    for (const user of USERS) {
      const result = await plain.psql(['-c', 'SELECT 1'], { user, password: 'wrong' });
      if (user === 'trust_user') assert.equal(result.code, 0, result.stderr);
      else assert.match(result.stderr, /authentication failed/, `${user}: ${result.stderr}`);
    }
    const none = await plain.psql(['-tAc', 'SELECT current_user'], { user: 'trust_user', password: '' });
    assert.equal(none.stdout.trim(), 'trust_user');
  });

  test('md5_user has an MD5 hash stored, the others SCRAM secrets; airlock_test belongs to scram_user', async () => {
    const result = await plain.psql([
      '-tA',
      '-c',
      `SELECT rolname, left(rolpassword, 3) FROM pg_authid WHERE rolname LIKE '%\\_user' ORDER BY rolname`,
      '-c',
      `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'airlock_test'`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), [
      'cleartext_user|SCR',
      'md5_user|md5',
      'scram_user|SCR',
      'trust_user|SCR',
      'scram_user',
    ]);
  });

  test('connectionString carries user, password, database and sslmode', () => {
    const url = new URL(plain.connectionString('md5_user'));
    assert.equal(url.hostname, '127.0.0.1');
    assert.equal(Number(url.port), plain.port);
    assert.equal(url.username, 'md5_user');
    assert.equal(decodeURIComponent(url.password), plain.users.md5_user.password);
    assert.equal(url.pathname, '/airlock_test');
    assert.equal(url.searchParams.get('sslmode'), 'disable');
  });
});

describe('TLS server', () => {
  test('refuses a connection without TLS', async () => {
    const result = await tls.psql(['-d', 'dbname=airlock_test sslmode=disable', '-c', 'SELECT 1'], { user: 'trust_user' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /pg_hba\.conf rejects connection .* no encryption/);
  });

  test('accepts sslmode=verify-full with the CA as sslrootcert, by IP and by name', async () => {
    assert.ok(tls.caCertPath && tls.caCertPem);
    for (const host of ['127.0.0.1', 'localhost']) {
      const conninfo = `host=${host} dbname=airlock_test sslmode=verify-full sslrootcert=${tls.caCertPath}`;
      const result = await tls.psql(['-d', conninfo, '-tA', '-c', 'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], {
        user: 'scram_user',
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout.trim(), /^t\|TLSv1\.[23]$/);
    }
  });

  test('verify-full fails with a CA that did not sign the server certificate', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-other-ca-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'ca.crt'), (await createCertificateAuthority('some-other-ca')).certPem);
    const conninfo = `dbname=airlock_test sslmode=verify-full sslrootcert=${join(dir, 'ca.crt')}`;
    const result = await tls.psql(['-d', conninfo, '-c', 'SELECT 1'], { user: 'scram_user' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /certificate verify failed/);
  });

  for (const user of USERS) {
    test(`${user} logs in over TLS by ${POSTGRES_TEST_USERS[user]}`, async () => {
      const result = await tls.psql(['-tA', '-c', 'SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], { user });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), `${user}|t`);
    });
  }
});

describe('PgBouncer', () => {
  test('session pooling passes queries to the upstream', async (t) => {
    const bouncer = await PgBouncer.start({ upstream: plain, poolMode: 'session', log });
    t.after(() => bouncer.stop());
    const result = await bouncer.psql(['-tA', '-c', 'SELECT current_user, inet_server_port()'], { user: 'scram_user' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), `scram_user|${plain.port}`);
    const pools = await bouncer.psql(['-tA', '-c', 'SHOW POOLS'], { database: 'pgbouncer' });
    assert.equal(pools.code, 0, pools.stderr);
    assert.match(pools.stdout, /^airlock_test\|scram_user\|.*\|session$/m);
  });

  test('transaction pooling with MD5 towards clients, verify-full TLS towards the upstream', async (t) => {
    const bouncer = await PgBouncer.start({ upstream: tls, poolMode: 'transaction', authType: 'md5', log });
    t.after(() => bouncer.stop());
    for (const user of USERS) {
      const result = await bouncer.psql(['-tA', '-c', 'SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], { user });
      assert.equal(result.code, 0, `${user}: ${result.stderr}`);
      assert.equal(result.stdout.trim(), `${user}|t`);
    }
    const wrong = await bouncer.psql(['-c', 'SELECT 1'], { user: 'scram_user', password: 'wrong' });
    assert.match(wrong.stderr, /password authentication failed/);
  });
});

describe('clean-up', () => {
  test('stop() frees the port and removes the temp dir; calling it again is harmless', async (t) => {
    const server = await PostgresServer.start({ log });
    t.after(() => server.stop());
    const bouncer = await PgBouncer.start({ upstream: server, poolMode: 'session' });
    t.after(() => bouncer.stop());
    assert.ok(await isListening(server.port));
    // An open session must not hold up the fast shutdown.
    const open = server.psql(['-c', 'SELECT pg_sleep(60)'], { user: 'scram_user' });
    await sleep(200);
    const started = Date.now();
    await bouncer.stop();
    await server.stop();
    assert.ok(Date.now() - started < 5_000, `stopping took ${Date.now() - started} ms`);
    assert.equal(await isListening(server.port), false, 'postgres still listens');
    assert.equal(await isListening(bouncer.port), false, 'pgbouncer still listens');
    assert.equal(existsSync(server.dir), false, `${server.dir} left behind`);
    assert.equal(existsSync(bouncer.dir), false, `${bouncer.dir} left behind`);
    assert.notEqual((await open).code, 0);
    await server.stop();
    await bouncer.stop();
  });

  test('a killed test process leaves no server, port or temp dir behind', async (t) => {
    const script = `
      import { PgBouncer, PostgresServer } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'testkit', 'src', 'index.ts'))};
      const server = await PostgresServer.start({ tls: true });
      const bouncer = await PgBouncer.start({ upstream: server, poolMode: 'transaction' });
      const pid = Number((await import('node:fs')).readFileSync(server.dataDir + '/postmaster.pid', 'utf8').split('\\n')[0]);
      process.stdout.write(JSON.stringify({ dirs: [server.dir, bouncer.dir], ports: [server.port, bouncer.port], pid }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => child.kill('SIGKILL'));
    const first = await new Promise<{ dirs: string[]; ports: number[]; pid: number }>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
      child.once('exit', (code) => reject(new Error(`child exited ${code} before starting`)));
    });
    for (const port of first.ports) assert.ok(await isListening(port), `nothing on ${port}`);
    child.kill('SIGKILL');
    const gone = async () =>
      !isAlive(first.pid) && first.dirs.every((d) => !existsSync(d)) && (await Promise.all(first.ports.map(isListening))).every((a) => !a);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(await gone())) await sleep(200);
    assert.equal(isAlive(first.pid), false, 'the postmaster outlived the killed harness');
    for (const port of first.ports) assert.equal(await isListening(port), false, `${port} still listens`);
    for (const dir of first.dirs) assert.equal(existsSync(dir), false, `${dir} left behind`);
  });
});
