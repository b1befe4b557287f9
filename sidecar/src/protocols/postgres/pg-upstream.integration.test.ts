/**
 * The sidecar's upstream side against a real PostgreSQL: each authentication method, refused
 * credentials, TLS modes and verification failures, an unreachable target, a backend terminated
 * mid-statement, and pgbench through the sidecar. Servers and sidecars run on loopback with random
 * ports and stop after the file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ApprovalPolicySpec, TargetTLS } from '@airlock/crds';
import { createCertificateAuthority, freePort, PostgresServer, type PostgresTestUser } from '@airlock/testkit';
import pg from 'pg';
import { type ProxyFixture, type ProxyFixtureOptions, startProxy } from './testing/proxy-fixture.ts';
import { sqlError } from './testing/raw-session.ts';

let server: PostgresServer;
let tlsServer: PostgresServer;
const proxies = new Set<ProxyFixture>();

/** Allows every statement the classifier can classify (unknown statements are never allowed). */
const ALLOW_ALL: ApprovalPolicySpec = { rules: [{ name: 'all', match: {}, action: 'allow' }], defaultAction: 'deny' };

before(async () => {
  [server, tlsServer] = await Promise.all([PostgresServer.start(), PostgresServer.start({ tls: true })]);
});

after(async () => {
  await Promise.allSettled([...proxies].map((p) => p.close()));
  await Promise.allSettled([server?.stop(), tlsServer?.stop()]);
});

/** A sidecar in front of `target` for the length of `body`. */
async function withProxy<T>(target: PostgresServer, options: ProxyFixtureOptions, body: (proxy: ProxyFixture) => Promise<T>): Promise<T> {
  const proxy = await startProxy(target, options);
  proxies.add(proxy);
  try {
    return await body(proxy);
  } finally {
    proxies.delete(proxy);
    await proxy.close();
  }
}

const agentClient = (proxy: ProxyFixture): pg.Client =>
  new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'agent', database: 'whatever', connectionTimeoutMillis: 10_000 });

async function queryThrough(proxy: ProxyFixture, sql: string): Promise<pg.QueryResult> {
  const c = agentClient(proxy);
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await c.query(sql);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The error the agent gets when it connects through the sidecar (the sidecar fails the startup). */
async function connectError(proxy: ProxyFixture) {
  const c = agentClient(proxy);
  c.on('error', () => undefined);
  const error = await sqlError(c.connect());
  await c.end().catch(() => undefined);
  return error;
}

const tlsTarget = (tls: TargetTLS) => ({
  postgres: { host: tlsServer.host, port: tlsServer.port, database: tlsServer.database, tls },
});

describe('upstream authentication', () => {
  for (const user of ['scram_user', 'md5_user', 'cleartext_user', 'trust_user'] satisfies PostgresTestUser[]) {
    test(`the sidecar logs in upstream as ${user}`, async () => {
      await withProxy(server, { user }, async (proxy) => {
        const result = await queryThrough(proxy, 'SELECT current_user AS u');
        assert.equal(result.rows[0].u, user);
      });
    });
  }

  test('a wrong upstream password gives the agent FATAL 28P01/28000 without the password', async () => {
    const password = 'not-the-password-7c1f9e';
    await withProxy(server, { credentials: { username: 'scram_user', password } }, async (proxy) => {
      const error = await connectError(proxy);
      assert.equal(error.severity, 'FATAL');
      assert.ok(['28P01', '28000'].includes(error.code), `SQLSTATE ${error.code}: ${error.message}`);
      assert.match(error.message, /refused the credentials/);
      assert.ok(!error.message.includes(password), error.message);
      assert.ok(!error.message.includes(server.users.scram_user.password), error.message);
    });
  });
});

describe('upstream TLS', () => {
  test('verify-full with the right CA works', async () => {
    await withProxy(tlsServer, { targetSpec: tlsTarget({ mode: 'verify-full', caBundle: tlsServer.caCertPem }) }, async (proxy) => {
      const result = await queryThrough(proxy, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.equal(result.rows[0].ssl, true);
    });
  });

  test('verify-full with another CA fails with a TLS error', async () => {
    const other = await createCertificateAuthority('some-other-ca');
    await withProxy(tlsServer, { targetSpec: tlsTarget({ mode: 'verify-full', caBundle: other.certPem }) }, async (proxy) => {
      const error = await connectError(proxy);
      assert.equal(error.severity, 'FATAL');
      assert.equal(error.code, '08006');
      assert.match(error.message, /TLS with 127\.0\.0\.1:\d+ failed \(tls\.mode verify-full\)/);
      assert.match(error.message, /certificate/i);
    });
  });

  test('tls.mode disable against a TLS-only server is rejected by the server', async () => {
    await withProxy(tlsServer, { targetSpec: tlsTarget({ mode: 'disable' }) }, async (proxy) => {
      const error = await connectError(proxy);
      assert.equal(error.severity, 'FATAL');
      assert.equal(error.code, '28000');
      assert.match(error.message, /pg_hba\.conf|no encryption/);
    });
  });

  test('verify-full with a serverName the certificate does not name fails on the name', async () => {
    await withProxy(
      tlsServer,
      { targetSpec: tlsTarget({ mode: 'verify-full', caBundle: tlsServer.caCertPem, serverName: 'wrong.example' }) },
      async (proxy) => {
        const error = await connectError(proxy);
        assert.equal(error.code, '08006');
        assert.match(error.message, /TLS with .* failed/);
        assert.match(error.message, /wrong\.example/);
        assert.match(error.message, /altnames|does not match/i);
      },
    );
  });
});

describe('upstream failures', () => {
  test('nothing listening at the target: FATAL 08006 cannot reach target', async () => {
    const port = await freePort();
    await withProxy(server, { targetSpec: { postgres: { host: '127.0.0.1', port, database: server.database } } }, async (proxy) => {
      const error = await connectError(proxy);
      assert.equal(error.severity, 'FATAL');
      assert.equal(error.code, '08006');
      assert.match(error.message, /cannot reach target orders-db/);
      assert.match(error.message, /ECONNREFUSED/);
    });
  });

  test('the upstream backend dies mid-statement: the agent gets an error, and a new session works', async () => {
    await withProxy(server, {}, async (proxy) => {
      const c = agentClient(proxy);
      c.on('error', () => undefined);
      await c.connect();
      try {
        const running = sqlError(c.query('SELECT pg_sleep(30)'));
        const active = async () =>
          (
            await server.psql(
              ['-X', '-A', '-t', '-c', "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'"],
              {},
            )
          ).stdout.trim() === '1';
        const deadline = Date.now() + 5000;
        while (!(await active())) {
          assert.ok(Date.now() < deadline, 'the pg_sleep never started upstream');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const killed = await server.psql([
          '-X',
          '-A',
          '-t',
          '-c',
          "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()) t",
        ]);
        assert.equal(killed.code, 0, killed.stderr);
        assert.equal(killed.stdout.trim(), '1');
        const started = Date.now();
        const error = await Promise.race([
          running,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the agent query hung')), 5000)),
        ]);
        assert.ok(Date.now() - started < 5000);
        assert.ok(['57P01', '08006'].includes(error.code), `${error.code}: ${error.message}`);
      } finally {
        await c.end().catch(() => undefined);
      }
      const fresh = await queryThrough(proxy, 'SELECT 42 AS n');
      assert.equal(fresh.rows[0].n, 42);
    });
  });
});

describe('pgbench through the sidecar', () => {
  const pgbench = () => {
    const bundled = join(server.binaries.binDir, 'pgbench');
    return existsSync(bundled) ? bundled : 'pgbench';
  };
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(pgbench(), args, { env: { ...process.env, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '10', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  let proxy: ProxyFixture;

  before(async () => {
    const init = await run(['-i', '-s', '1', '-q', '-h', server.host, '-p', String(server.port), '-U', 'scram_user', server.database], {
      PGPASSWORD: server.users.scram_user.password,
    });
    assert.equal(init.code, 0, init.stderr);
    proxy = await startProxy(server, { policy: ALLOW_ALL });
    proxies.add(proxy);
  });

  const cases: { name: string; args: string[]; transactions: number }[] = [
    { name: 'select-only, prepared', args: ['-c', '2', '-t', '50', '-M', 'prepared', '-S'], transactions: 100 },
    { name: 'tpcb-like, simple (the default mode)', args: ['-c', '2', '-t', '20'], transactions: 40 },
    { name: 'select-only, simple', args: ['-c', '2', '-t', '50', '-M', 'simple', '-S'], transactions: 100 },
    { name: 'select-only, extended', args: ['-c', '2', '-t', '50', '-M', 'extended', '-S'], transactions: 100 },
    { name: 'tpcb-like, prepared', args: ['-c', '2', '-t', '20', '-M', 'prepared'], transactions: 40 },
  ];
  for (const { name, args, transactions } of cases) {
    test(`pgbench ${name}: ${args.join(' ')}`, async () => {
      const result = await run(['-n', ...args, '-h', '127.0.0.1', '-p', String(proxy.port), '-U', 'agent', 'anydb'], {
        PGPASSWORD: 'anything',
      });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.match(
        result.stdout,
        new RegExp(`number of transactions actually processed: ${transactions}/${transactions}\\b`),
        result.stdout,
      );
      assert.match(result.stdout, /number of failed transactions: 0 /, result.stdout);
    });
  }
});
