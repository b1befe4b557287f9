/**
 * Port forwarding decided by policy, against a real OpenSSH sshd and the real `ssh` client as the
 * agent: `ssh -L` and `ssh -D` connections to a destination a rule lists reach it (HTTP servers on
 * the loopback, which the sshd host reaches), with their bytes intact both ways and the TCP
 * half-close kept; destinations no rule lists, or that need approval, are refused with the reason
 * in the agent's ssh output and never reach the destination; `ssh -R` is refused even where
 * forwarding is allowed; each forwarded connection is a statement of the session with its decision
 * and its byte counts; and a connection holds at most maxForwardsPerConnection forwards at once.
 * Every `ssh -N` a test starts is killed when the test ends, whether it passed or not.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { RecordedEvent } from '@airlock/contracts/recording';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { eventually, freePort, SshServer } from '@airlock/testkit';
import type { ClientChannel } from 'ssh2';
import { FORWARD_APPROVAL_REFUSAL } from './forwarding/forward-decision.ts';
import { FORWARDING_REFUSAL } from './frontend/agent-connection.ts';
import {
  eventsOf,
  readRecords,
  runSsh,
  type SshProxyFixture,
  type SshRun,
  startSshProxy,
  TEST_POLICY,
} from './testing/ssh-proxy-fixture.ts';
import { connectAgent } from './testing/ssh2-agent.ts';

const skip = SshServer.available() ? false : 'SshServer needs root (it creates users and runs sshd as root)';

let server: SshServer;
let proxy: SshProxyFixture;
/** Listed: forwardings to it are allowed. */
let web: Destination;
/** Listed by no rule. */
let unlisted: Destination;
/** Listed by a requireApproval rule. */
let held: Destination;
/** Reads until EOF, then answers how much it read: only a kept half-close gets an answer. */
let counter: TcpServer;
let counterPort: number;

interface Destination {
  readonly server: HttpServer;
  readonly port: number;
  /** Requests it answered so far. */
  requests: number;
}

/** GET /bytes/N answers N bytes; POST /digest answers the sha256 of the body; anything else a greeting. */
async function startDestination(name: string): Promise<Destination> {
  const destination = { requests: 0 } as { requests: number; server: HttpServer; port: number };
  const server = createHttpServer((request, response) => {
    destination.requests += 1;
    const size = /^\/bytes\/(\d+)$/.exec(request.url ?? '')?.[1];
    if (size !== undefined) {
      response.end(pattern(Number(size)));
    } else if (request.url === '/digest') {
      const hash = createHash('sha256');
      request.on('data', (chunk: Buffer) => hash.update(chunk));
      request.on('end', () => response.end(hash.digest('hex')));
    } else {
      response.end(`hello from ${name}\n`);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return Object.assign(destination, { server, port: address.port });
}

/** Bytes that are not all alike, so a reordered or dropped chunk shows. */
const pattern = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + (i >> 11)) & 0xff));

function policy(): ApprovalPolicySpec {
  return {
    ...TEST_POLICY,
    rules: [
      ...(TEST_POLICY.rules ?? []),
      {
        name: 'web-tunnel',
        match: {
          ssh: {
            requestTypes: ['port-forward'],
            destinations: [`127.0.0.1:${web.port}`, `localhost:${web.port}`, `127.0.0.1:${counterPort}`],
          },
        },
        action: 'allow',
      },
      {
        name: 'admin-tunnel',
        match: { ssh: { requestTypes: ['port-forward'], destinations: [`127.0.0.1:${held.port}`] } },
        action: 'requireApproval',
        approval: { approvers: { groups: ['ops'] }, requiredApprovals: 1, ttl: '5m' },
      },
    ],
  };
}

before(async () => {
  if (skip) return;
  server = await SshServer.start();
  [web, unlisted, held] = await Promise.all([startDestination('web'), startDestination('unlisted'), startDestination('held')]);
  counter = createTcpServer((socket) => {
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('end', () => socket.end(`received ${received}\n`));
    socket.on('error', () => undefined);
  });
  counter.listen(0, '127.0.0.1');
  await once(counter, 'listening');
  counterPort = (counter.address() as { port: number }).port;
  proxy = await startSshProxy(server, { policy: policy(), limits: { maxForwardsPerConnection: 2 } });
});

after(async () => {
  await proxy?.close();
  for (const destination of [web, unlisted, held]) {
    destination?.server.closeAllConnections();
    destination?.server.close();
  }
  counter?.close();
  await server?.stop();
});

interface Forwarding {
  /** What the agent's ssh printed so far (at debug level: it says when it listens, and why an open failed). */
  stderr(): string;
  /** Kills the ssh and waits for it to exit. */
  stop(): Promise<SshRun>;
}

/**
 * `ssh -N` with the forwarding options given, once its local listener is up. The caller stops it
 * in a finally; if it exits or fails before listening, it is killed here and the start throws.
 */
async function startForwarding(args: readonly string[]): Promise<Forwarding> {
  let stderr = '';
  const listening = Promise.withResolvers<void>();
  const run = runSsh(proxy, undefined, {
    args: ['-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'LogLevel=DEBUG1', ...args],
    timeoutMs: 120_000,
    onStderr: (text) => {
      stderr = text;
      if (/Local forwarding listening on \S+ port \d+\./.test(text)) listening.resolve();
    },
  });
  const stop = async (): Promise<SshRun> => {
    run.kill();
    return run;
  };
  const exited = run.then((result) => {
    throw new Error(`ssh exited (${result.code}) before it listened: ${result.stderr}`);
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([
      listening.promise,
      exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error('ssh did not listen')), 30_000).unref()),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { stderr: () => stderr, stop };
}

/** Starts a forwarding, runs `use` with it, and always stops it. */
async function withForwarding<T>(args: readonly string[], use: (forwarding: Forwarding) => Promise<T>): Promise<T> {
  const forwarding = await startForwarding(args);
  try {
    return await use(forwarding);
  } finally {
    await forwarding.stop();
  }
}

interface CurlResult {
  readonly code: number | null;
  readonly body: Buffer;
  readonly stderr: string;
}

/** The real curl (not in this process: the sidecar answering it is). */
function curl(args: readonly string[], stdin?: Buffer): Promise<CurlResult> {
  const child = spawn('curl', ['-sS', '--max-time', '20', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const body: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => body.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, body: Buffer.concat(body), stderr })));
}

const events = (): RecordedEvent[] => eventsOf(readRecords(proxy.recordingsDir));

/** The decision and the result recorded for the last forwarding to `destination` (with its result, when asked). */
async function recordedForwarding(destination: string, withResult: boolean) {
  return eventually(
    `the recorded forwarding to ${destination}`,
    () => {
      const records = readRecords(proxy.recordingsDir);
      const statement = records.findLast(({ event }) => event.type === 'statement' && event.text === `port-forward ${destination}`);
      if (statement?.event.type !== 'statement') return undefined;
      const { statementIndex } = statement.event;
      // Statement indexes count per session: only this session's events.
      const same = eventsOf(records.filter((record) => record.session === statement.session)).filter(
        (event) => 'statementIndex' in event && event.statementIndex === statementIndex,
      );
      const decision = same.find((event) => event.type === 'decision');
      const result = same.find((event) => event.type === 'result');
      if (decision?.type !== 'decision' || (withResult && result?.type !== 'result')) return undefined;
      return { decision, result: result?.type === 'result' ? result : undefined };
    },
    { timeoutMs: 10_000 },
  );
}

describe('ssh -L', { skip, timeout: 60_000 }, () => {
  test('to a listed destination: the bytes arrive intact both ways, and the connection is recorded with its byte counts', async () => {
    const local = await freePort();
    await withForwarding(['-L', `127.0.0.1:${local}:127.0.0.1:${web.port}`], async () => {
      const greeting = await curl([`http://127.0.0.1:${local}/`]);
      assert.equal(greeting.code, 0, greeting.stderr);
      assert.equal(greeting.body.toString(), 'hello from web\n');

      const size = 3 * 1024 * 1024;
      const download = await curl([`http://127.0.0.1:${local}/bytes/${size}`]);
      assert.equal(download.code, 0, download.stderr);
      assert.ok(download.body.equals(pattern(size)), 'the download came back changed');

      const upload = pattern(2 * 1024 * 1024 + 17);
      const digest = await curl(['--data-binary', '@-', `http://127.0.0.1:${local}/digest`], upload);
      assert.equal(digest.code, 0, digest.stderr);
      assert.equal(digest.body.toString(), createHash('sha256').update(upload).digest('hex'));

      const { decision, result } = await recordedForwarding(`127.0.0.1:${web.port}`, true);
      assert.deepEqual([decision.action, decision.rule], ['allow', 'web-tunnel']);
      // The last connection is the upload: its request went up, a digest came back.
      assert.ok((result?.bytes?.stdin ?? 0) > upload.length, JSON.stringify(result));
      assert.ok((result?.bytes?.stdout ?? 0) > 64, JSON.stringify(result));
      assert.equal(result?.unrecordedBytes, (result?.bytes?.stdin ?? 0) + (result?.bytes?.stdout ?? 0));
      assert.equal(result?.commandTag, 'closed');
    });
  });

  test("a half-closed connection still gets its answer (the agent's EOF reaches the destination, the answer comes back)", async () => {
    const local = await freePort();
    await withForwarding(['-L', `127.0.0.1:${local}:127.0.0.1:${counterPort}`], async () => {
      const sent = pattern(1024 * 1024 + 3);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(local, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
        // A lost EOF leaves both ends waiting: fail here, so the forwarding is still stopped.
        socket.setTimeout(20_000, () => {
          socket.destroy();
          reject(new Error(`no answer after the half-close; read so far: ${JSON.stringify(text)}`));
        });
        socket.end(sent);
      });
      assert.equal(answer, `received ${sent.length}\n`);
    });
  });

  test('to a destination no rule lists: refused with the reason, never reached, and the denial recorded', async () => {
    const local = await freePort();
    const before = unlisted.requests;
    await withForwarding(['-L', `127.0.0.1:${local}:127.0.0.1:${unlisted.port}`], async (forwarding) => {
      const refused = await curl([`http://127.0.0.1:${local}/`]);
      assert.notEqual(refused.code, 0, 'curl got an answer through a refused forwarding');
      const { decision } = await recordedForwarding(`127.0.0.1:${unlisted.port}`, false);
      assert.deepEqual([decision.action, decision.effective, decision.rule], ['deny', 'deny', 'default']);
      await eventually('the reason in the agent ssh output', () =>
        /open failed: administratively prohibited: airlock: denied by ApprovalPolicy ssh-policy default action/.test(forwarding.stderr())
          ? true
          : undefined,
      );
    });
    assert.equal(unlisted.requests, before, 'the destination was reached');
  });

  test('to a destination that needs approval: refused at once (a connection cannot wait for a reviewer), no request made', async () => {
    const local = await freePort();
    const requests: unknown[] = [];
    const stopWatching = proxy.gate.onRequest((request) => requests.push(request));
    try {
      await withForwarding(['-L', `127.0.0.1:${local}:127.0.0.1:${held.port}`], async (forwarding) => {
        const refused = await curl([`http://127.0.0.1:${local}/`]);
        assert.notEqual(refused.code, 0);
        const { decision } = await recordedForwarding(`127.0.0.1:${held.port}`, false);
        assert.deepEqual([decision.action, decision.effective, decision.rule], ['requireApproval', 'deny', 'admin-tunnel']);
        assert.ok(decision.reason.endsWith(FORWARD_APPROVAL_REFUSAL), decision.reason);
        await eventually('the reason in the agent ssh output', () =>
          /cannot wait for a reviewer/.test(forwarding.stderr()) ? true : undefined,
        );
      });
    } finally {
      stopWatching();
    }
    assert.deepEqual(requests, [], 'an ApprovalRequest was made for a forwarding');
    assert.equal(held.requests, 0);
  });
});

describe('ssh -D (SOCKS)', { skip, timeout: 60_000 }, () => {
  test('a listed destination is reached by name as the rule names it; an unlisted one is refused', async () => {
    const socks = await freePort();
    const before = unlisted.requests;
    await withForwarding(['-D', `127.0.0.1:${socks}`], async () => {
      const proxyArg = ['--socks5-hostname', `127.0.0.1:${socks}`];
      const allowed = await curl([...proxyArg, `http://localhost:${web.port}/`]);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(allowed.body.toString(), 'hello from web\n');
      assert.equal((await recordedForwarding(`localhost:${web.port}`, true)).decision.action, 'allow');

      const refused = await curl([...proxyArg, `http://127.0.0.1:${unlisted.port}/`]);
      assert.notEqual(refused.code, 0, 'curl got an answer through a refused forwarding');
      assert.equal((await recordedForwarding(`127.0.0.1:${unlisted.port}`, false)).decision.action, 'deny');

      // Names are not resolved: localhost is not 127.0.0.1, so a rule for one does not cover the other.
      const byOtherName = await curl([...proxyArg, `http://localhost:${held.port}/`]);
      assert.notEqual(byOtherName.code, 0);
      const { decision } = await recordedForwarding(`localhost:${held.port}`, false);
      assert.deepEqual([decision.action, decision.rule], ['deny', 'default']);
    });
    assert.equal(unlisted.requests, before, 'the unlisted destination was reached');
    assert.equal(held.requests, 0);
  });
});

describe('what stays refused', { skip, timeout: 60_000 }, () => {
  test('ssh -R is refused even where forwarding is allowed (it would open connections from the host into the pod), and recorded', async () => {
    const result = await runSsh(proxy, undefined, { args: ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${web.port}`] });
    assert.equal(result.code, 255);
    assert.match(result.stderr, /remote port forwarding failed/);
    await eventually('the recorded refusal', () =>
      events().some(
        (event) =>
          event.type === 'error' &&
          event.code === 'ForwardingRefused' &&
          event.message === `${FORWARDING_REFUSAL}: remote forwarding (tcpip-forward, ssh -R) was refused`,
      )
        ? true
        : undefined,
    );
  });
});

describe('maxForwardsPerConnection', { skip, timeout: 60_000 }, () => {
  const open = (client: import('ssh2').Client): Promise<ClientChannel> =>
    new Promise((resolve, reject) =>
      client.forwardOut('127.0.0.1', 0, '127.0.0.1', web.port, (error, channel) => (error ? reject(error) : resolve(channel))),
    );

  test('one more forwarded connection than the limit is refused with the reason; closing one makes room', async () => {
    const client = await connectAgent(proxy.port);
    try {
      const first = await open(client);
      await open(client);
      await assert.rejects(open(client), /airlock: port forwarding to 127\.0\.0\.1:\d+ refused: 2 forwarded connections are already open/);
      first.close();
      const again = await eventually('room for one more forward', () => open(client).catch(() => undefined), { timeoutMs: 5000 });
      again.close();
      assert.ok(
        events().some(
          (event) => event.type === 'error' && event.code === 'LimitExceeded' && /maxForwardsPerConnection/.test(event.message),
        ),
      );
    } finally {
      client.end();
    }
  });
});
