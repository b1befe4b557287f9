/**
 * Interactive sessions (`shell`, with a terminal or without) against a real OpenSSH sshd, with the
 * real OpenSSH `ssh` client as the agent (the ssh2 client for several channels on one connection
 * and a terminal of a chosen size): the policy decides the session when it opens. Allowed → the
 * host's shell on the agent's terminal, piped both ways, its exit status back to the agent; denied
 * → 126 and the reason, the host never contacted, the connection still usable; held → the
 * ApprovalRequest (kind shell), then the shell opens once, or status 1; the agent hanging up
 * withdraws. Each policy is its own sidecar in front of the one sshd.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordedEvent } from '@airlock/contracts/recording';
import type { ApprovalPolicySpec, PolicyRule } from '@airlock/crds';
import { eventually, SshServer } from '@airlock/testkit';
import type { HeldRequest } from '../../in-process/in-process-gate.ts';
import { SHELL_TEXT } from './session/command-decision.ts';
import { SHELL_SHUTDOWN_WITHDRAWAL } from './session/shell-session.ts';
import { eventsOf, readRecords, runSsh, type SshProxyFixture, startSshProxy, TEST_POLICY } from './testing/ssh-proxy-fixture.ts';
import { connectAgent, execOn, type OpenExec, openShell } from './testing/ssh2-agent.ts';

const skip = SshServer.available() ? false : 'SshServer needs root (it creates users and runs sshd as root)';

const OPS = { user: 'alice', groups: ['ops'] };
/** ssh2 channels have no timeout of their own: a shell that never ends fails the test instead of hanging it. */
const SSH2_TEST = { timeout: 20_000 };

/** The exec rules of the other SSH tests, and a rule for shells first. */
function policyWith(shells: Omit<PolicyRule, 'name' | 'match'>): ApprovalPolicySpec {
  return {
    ...TEST_POLICY,
    rules: [{ name: 'shells', match: { ssh: { requestTypes: ['shell'] } }, ...shells }, ...(TEST_POLICY.rules ?? [])],
  };
}

const approval = (scope: 'once' | 'session', ttl = '5m') => ({
  action: 'requireApproval' as const,
  approval: { approvers: { groups: ['ops'] }, requiredApprovals: 1, ttl, scope },
});

let server: SshServer;
let allowing: SshProxyFixture;
let denying: SshProxyFixture;
let holding: SshProxyFixture;

/** Logins the host accepted so far, once sshd's log (written through a pipe) has caught up. */
async function settledLogins(): Promise<number> {
  const count = () => (server.logTail(100_000).match(/Accepted publickey for /g) ?? []).length;
  let last = count();
  for (;;) {
    await sleep(300);
    const now = count();
    if (now === last) return now;
    last = now;
  }
}

/** The agent's `ssh -tt` (a terminal, asked for though stdin is a pipe) typing `input` into the shell. */
const terminalShell = (proxy: SshProxyFixture, input: string, options: Parameters<typeof runSsh>[2] = {}) =>
  runSsh(proxy, undefined, { ...options, args: ['-tt'], stdin: Buffer.from(input), env: { TERM: 'xterm-256color' } });

/** Starts a held shell with `ssh -tt` and resolves with its ApprovalRequest once the agent was told about it. */
async function startHeldShell(proxy: SshProxyFixture, input: string) {
  const requests: HeldRequest[] = [];
  const stop = proxy.gate.onRequest((request) => requests.push(request));
  let told!: () => void;
  const waiting = new Promise<void>((resolve) => (told = resolve));
  const run = terminalShell(proxy, input, { onStderr: (text) => /kubectl approve/.test(text) && told() });
  await Promise.race([waiting, run]);
  stop();
  const request = requests[0];
  assert.ok(request, 'no ApprovalRequest for the shell');
  return { run, request };
}

/**
 * What the recording says about the decision and the end of the shell that ended with `tag`
 * (`exit 9`): from its statement to its result, leaving out the records of its output.
 */
async function decisionRecords(proxy: SshProxyFixture, tag: string): Promise<RecordedEvent[]> {
  const about = new Set(['statement', 'classification', 'decision', 'approval.requested', 'approval.outcome', 'result']);
  const events = await eventually(
    `the recorded result ${tag}`,
    () => {
      const all = eventsOf(readRecords(proxy.recordingsDir));
      return all.some((event) => event.type === 'result' && event.commandTag === tag) ? all : undefined;
    },
    { timeoutMs: 5000 },
  );
  const end = events.findIndex((event) => event.type === 'result' && event.commandTag === tag);
  const start = events.slice(0, end).findLastIndex((event) => event.type === 'statement');
  return events.slice(start, end + 1).filter((event) => about.has(event.type));
}

/** Resolves with the next ApprovalRequest the proxy's gate gets. */
function nextRequest(proxy: SshProxyFixture): Promise<HeldRequest> {
  return new Promise((resolve) => {
    const stop = proxy.gate.onRequest((request) => {
      stop();
      resolve(request);
    });
  });
}

/** The shell's stdout so far, as it arrives. */
function outputOf(shell: OpenExec): () => string {
  let output = '';
  shell.channel.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return () => output;
}

/** Writes `input` to a shell channel and waits until its output matches. */
async function typeAndWait(shell: OpenExec, output: () => string, input: string, expected: RegExp): Promise<void> {
  shell.channel.write(input);
  await eventually(`output matching ${expected}`, () => (expected.test(output()) ? true : undefined), { timeoutMs: 10_000 });
}

before(async () => {
  if (skip) return;
  server = await SshServer.start();
  allowing = await startSshProxy(server, { policy: policyWith({ action: 'allow' }) });
  denying = await startSshProxy(server, { policy: policyWith({ action: 'deny', message: 'Use single commands on this host.' }) });
  holding = await startSshProxy(server, { policy: policyWith(approval('once')) });
});

after(async () => {
  for (const proxy of [allowing, denying, holding]) await proxy?.close();
  await server?.stop();
});

describe('an allowed shell', { skip }, () => {
  test("runs on the agent's terminal (ssh -tt): what is typed runs, its output and exit status reach the agent", async () => {
    const result = await terminalShell(allowing, 'echo "term=$TERM tty=$(tty)"; echo hel""lo; exit 3\n');
    assert.equal(result.code, 3, result.stderr);
    const output = result.stdout.toString();
    // The terminal echoes what was typed (`hel""lo`); only the shell prints `hello` on a line of its own (after bash's
    // bracketed-paste sequence, which ends in a carriage return).
    assert.match(output, /(^|[\r\n])hello\r\n/, output);
    assert.match(output, /term=xterm-256color tty=\/dev\/pts\/\d+\r\n/, output);
    assert.equal(result.stderr, '');
  });

  test('without a terminal (ssh -T, a script on stdin) it runs the script, and the host gives it no terminal', async () => {
    const result = await runSsh(allowing, undefined, { args: ['-T'], stdin: Buffer.from('echo no-terminal; tty; exit 4\n') });
    assert.equal(result.code, 4, result.stderr);
    assert.equal(result.stdout.toString(), 'no-terminal\nnot a tty\n');
  });

  test("the terminal's type and size are the agent's, and window changes reach the host (ssh2 client)", SSH2_TEST, async () => {
    const client = await connectAgent(allowing.port);
    try {
      const shell = await openShell(client, { term: 'vt220', rows: 40, cols: 100, width: 0, height: 0 });
      const output = outputOf(shell);
      await typeAndWait(shell, output, 'echo "size=$(stty size) term=$TERM"\n', /size=40 100 term=vt220\r\n/);
      shell.channel.setWindow(50, 120, 0, 0);
      await typeAndWait(shell, output, 'echo "size=$(stty size)"\n', /size=50 120\r\n/);
      shell.channel.write('exit 7\n');
      assert.equal((await shell.result).code, 7);
    } finally {
      client.end();
    }
  });

  test("a signal the agent sends reaches the host's shell (ssh2 client)", SSH2_TEST, async () => {
    const client = await connectAgent(allowing.port);
    try {
      const shell = await openShell(client, false);
      await typeAndWait(shell, outputOf(shell), 'echo ready\n', /^ready\n$/);
      shell.channel.signal('TERM');
      const result = await shell.result;
      assert.deepEqual([result.code, result.signal], [null, 'SIGTERM'], JSON.stringify(result));
    } finally {
      client.end();
    }
  });

  test('is recorded: the shell, its decision and its exit status', async () => {
    const result = await runSsh(allowing, undefined, { args: ['-T'], stdin: Buffer.from('exit 9\n') });
    assert.equal(result.code, 9, result.stderr);
    const recorded = await decisionRecords(allowing, 'exit 9');
    assert.deepEqual(
      recorded.map((event) => event.type),
      ['statement', 'classification', 'decision', 'result'],
    );
    const [statement, classification, decision] = recorded;
    assert.equal(statement?.type === 'statement' && statement.text, SHELL_TEXT);
    assert.deepEqual(classification?.type === 'classification' && classification.kinds, ['shell']);
    assert.deepEqual(decision?.type === 'decision' && [decision.action, decision.rule], ['allow', 'shells']);
  });
});

describe('a denied shell', { skip }, () => {
  test('gets the reason on its terminal and status 126; the host is never contacted', async () => {
    const before = await settledLogins();
    const result = await terminalShell(denying, 'echo should-not-run\n');
    assert.equal(result.code, 126);
    assert.equal(result.stdout.length, 0);
    assert.equal(
      result.stderr,
      'airlock: denied: denied by ApprovalPolicy ssh-policy rule shells Use single commands on this host.\r\n' +
        "airlock: Run each command as `ssh orders-bastion '<command>'` instead: each command is then decided on its own.\r\n",
    );
    assert.equal(await settledLogins(), before, 'the sidecar logged in to the host for a denied shell');
  });

  test('leaves the connection usable for an allowed exec (ssh2 client)', SSH2_TEST, async () => {
    const client = await connectAgent(denying.port);
    try {
      const shell = await openShell(client, false);
      const refused = await shell.result;
      assert.equal(refused.code, 126);
      assert.match(refused.stderr, /^airlock: denied: .*rule shells/);
      assert.deepEqual(await execOn(client, 'echo still here'), { code: 0, signal: undefined, stdout: 'still here\n', stderr: '' });
    } finally {
      client.end();
    }
  });
});

describe('a held shell', { skip }, () => {
  test('asks for an ApprovalRequest of kind shell; approved, the shell opens and runs what was typed', async () => {
    const before = await settledLogins();
    const { run, request } = await startHeldShell(holding, 'echo approved""-shell; exit 5\n');
    const { operation } = request.spec;
    assert.deepEqual([operation.kind, operation.text], ['shell', SHELL_TEXT]);
    assert.equal(operation.summary, `ssh orders-bastion: interactive shell (terminal xterm-256color)`);
    assert.deepEqual([request.spec.policy.rule, request.spec.target.type], ['shells', 'ssh']);
    assert.equal(await settledLogins(), before, 'the held shell reached the host before it was approved');
    holding.gate.approve(request.name, OPS);
    const result = await run;
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stdout.toString(), /(^|[\r\n])approved-shell\r\n/);
    assert.match(result.stderr, new RegExp(`^airlock: .*Waiting for approval: ApprovalRequest ${request.name} in namespace agents\\r\\n`));
    assert.match(result.stderr, new RegExp(`airlock: A reviewer approves it with: kubectl approve ${request.name} -n agents\\r\\n`));
    await eventually('the execution report', () => (holding.gate.get(request.name)?.phase === 'Failed' ? true : undefined), {
      timeoutMs: 5000,
    });
    assert.equal(holding.gate.get(request.name)?.result, 'exit 5');
    const recorded = await decisionRecords(holding, 'exit 5');
    assert.deepEqual(
      recorded.map((event) => event.type),
      ['statement', 'classification', 'decision', 'approval.requested', 'approval.outcome', 'result'],
    );
    const [, , decision, requested, outcome] = recorded;
    assert.deepEqual(decision?.type === 'decision' && [decision.action, decision.rule], ['requireApproval', 'shells']);
    assert.equal(requested?.type === 'approval.requested' && requested.name, request.name);
    assert.deepEqual(outcome?.type === 'approval.outcome' && [outcome.name, outcome.phase], [request.name, 'Approved']);
  });

  test('a denied approval ends it with status 1 and the reviewer reason; the host is never contacted', async () => {
    const before = await settledLogins();
    const { run, request } = await startHeldShell(holding, 'echo should-not-run\n');
    holding.gate.deny(request.name, OPS, 'no interactive work during the freeze');
    const result = await run;
    assert.equal(result.code, 1);
    assert.equal(result.stdout.length, 0);
    assert.match(result.stderr, /airlock: not run: ApprovalRequest .* was denied by alice: no interactive work during the freeze\r\n$/);
    assert.equal(await settledLogins(), before);
  });

  test('the agent hanging up withdraws the request', async () => {
    const { run, request } = await startHeldShell(holding, '');
    run.kill();
    await run;
    await eventually('the withdrawal', () => (holding.gate.get(request.name)?.phase === 'Withdrawn' ? true : undefined), {
      timeoutMs: 5000,
    });
  });

  test('a graceful close of the sidecar withdraws it at once and tells the agent', async () => {
    const closing = await startSshProxy(server, { policy: policyWith(approval('once')) });
    try {
      const { run, request } = await startHeldShell(closing, '');
      await closing.sidecar.close({ graceMs: 20_000 });
      const result = await run;
      assert.equal(result.code, 1);
      assert.ok(result.stderr.endsWith(`airlock: ${SHELL_SHUTDOWN_WITHDRAWAL}\r\n`), result.stderr);
      assert.equal(closing.gate.get(request.name)?.phase, 'Withdrawn');
    } finally {
      await closing.close();
    }
  });

  test('an approval expiring ends it with status 1 and says how to ask again', async () => {
    const expiring = await startSshProxy(server, { policy: policyWith(approval('once', '1s')) });
    try {
      const { run } = await startHeldShell(expiring, '');
      const result = await run;
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /airlock: not run: ApprovalRequest .* expired before it was approved\r\nairlock: Run the shell again to ask again\.\r\n$/,
      );
    } finally {
      await expiring.close();
    }
  });

  test(
    'scope once: the approval opens one shell; a second shell on the same connection needs its own (ssh2 client)',
    SSH2_TEST,
    async () => {
      const client = await connectAgent(holding.port);
      try {
        const first = nextRequest(holding);
        const shell = await openShell(client, false);
        holding.gate.approve((await first).name, OPS);
        shell.channel.end('exit 0\n');
        assert.equal((await shell.result).code, 0);
        const second = nextRequest(holding);
        const again = await openShell(client, false);
        const request = await second;
        assert.notEqual(request.name, (await first).name);
        holding.gate.deny(request.name, OPS, 'one was enough');
        assert.equal((await again.result).code, 1);
      } finally {
        client.end();
      }
    },
  );

  test(
    'scope session: once approved, the next shell on that connection opens without asking; another connection asks again',
    SSH2_TEST,
    async () => {
      const sessionScoped = await startSshProxy(server, { policy: policyWith(approval('session')) });
      const client = await connectAgent(sessionScoped.port);
      try {
        const asked: HeldRequest[] = [];
        sessionScoped.gate.onRequest((request) => asked.push(request));
        const first = nextRequest(sessionScoped);
        const shell = await openShell(client, false);
        sessionScoped.gate.approve((await first).name, OPS);
        shell.channel.end('exit 0\n');
        assert.equal((await shell.result).code, 0);
        const again = await openShell(client, false);
        again.channel.end('echo covered\n');
        assert.deepEqual([(await again.result).code, (await again.result).stdout], [0, 'covered\n']);
        assert.equal(asked.length, 1, 'the second shell on the connection asked again');
        const other = await connectAgent(sessionScoped.port);
        try {
          const elsewhere = nextRequest(sessionScoped);
          const third = await openShell(other, false);
          sessionScoped.gate.deny((await elsewhere).name, OPS, 'not this one');
          assert.equal((await third.result).code, 1);
          assert.equal(asked.length, 2);
        } finally {
          other.end();
        }
      } finally {
        client.end();
        await sessionScoped.close();
      }
    },
  );
});
