/**
 * SSH side by side, interleaved, in one run: the real OpenSSH client straight to a real sshd
 * ("direct") vs the same client through the sidecar ("sidecar": policy decision, shell parsing,
 * recording, its own ssh2 connection to the host). The sidecar runs in a process of its own
 * (ssh-sidecar-process.ts) so its CPU time is its own. Three measurements:
 * - connect + exec: a new `ssh host true` each time (key exchange, login, one exec);
 * - exec on an open connection: `ssh host true` multiplexed over one ControlMaster connection, so
 *   what is timed is one channel: the added latency per command an agent that keeps its
 *   connection (git, Ansible, a long-running agent) sees;
 * - bulk: `ssh host cat <file>` of a random file to /dev/null, MB/s.
 * Rounds alternate direct and sidecar so load on the machine hits both alike; medians reported.
 * Writes its section of bench/RESULTS.md (between the SSH markers), leaving the rest as it is.
 *
 * Usage: node bench/src/ssh-bench.ts [--rounds 3] [--execs 20] [--megabytes 256] [--out bench/RESULTS.md]
 *        [--profile DIR] (a `node --cpu-prof` profile of the sidecar, written when it exits; read it with
 *        `node bench/src/cpuprofile-top.ts <file>`)
 * Root only: the test kit's sshd must switch users.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSshKeyPair, SshServer } from '@airlock/testkit';
import { SidecarProcess } from './sidecar-process-handle.ts';
import type { SidecarStats } from './sidecar-process-protocol.ts';
import { SSH_BENCH_TARGET, type SshSidecarProcessConfig } from './ssh-sidecar-config.ts';
import { median } from './statistics.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
export const SSH_BEGIN = '<!-- BEGIN SSH -->';
export const SSH_END = '<!-- END SSH -->';

interface Options {
  readonly rounds: number;
  readonly execs: number;
  readonly megabytes: number;
  readonly out: string;
  readonly profile: string | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    rounds: Number(get('rounds') ?? 3),
    execs: Number(get('execs') ?? 20),
    megabytes: Number(get('megabytes') ?? 256),
    out: resolve(get('out') ?? join(REPO, 'bench/RESULTS.md')),
    profile: get('profile'),
  };
}

const log = (message: string): void => void process.stderr.write(`[ssh-bench] ${message}\n`);

type Way = 'direct' | 'sidecar';

/** ssh arguments that reach the host one way or the other; `extra` goes before the destination. */
interface SshWay {
  readonly args: (extra?: readonly string[]) => string[];
}

/** Runs ssh; resolves with wall time in ms; rejects on a non-zero exit (a benchmark of failures measures nothing). */
async function timeSsh(way: SshWay, command: string, extra: readonly string[] = [], discardStdout = true): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn('ssh', [...way.args(extra), command], { stdio: ['ignore', discardStdout ? 'ignore' : 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (code !== 0) throw new Error(`ssh ${command} exited ${code}: ${stderr.trim()}`);
  return ms;
}

/** A ControlMaster connection: later ssh runs with `-o ControlPath=<path>` reuse it. */
async function openMaster(way: SshWay, controlPath: string): Promise<() => Promise<void>> {
  const master = spawn('ssh', way.args(['-M', '-N', '-o', `ControlPath=${controlPath}`, '-o', 'ControlPersist=no']), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  master.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  for (let i = 0; i < 200 && !existsSync(controlPath); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(controlPath)) {
    master.kill();
    throw new Error(`the ControlMaster did not open: ${stderr.trim()}`);
  }
  return async () => {
    master.kill('SIGTERM');
    if (master.exitCode === null && master.signalCode === null) await once(master, 'close');
  };
}

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const cpuUs = (before: SidecarStats, after: SidecarStats): number => after.userUs - before.userUs + (after.systemUs - before.systemUs);

interface Measured {
  connectExec: Record<Way, number[]>;
  channelExec: Record<Way, number[]>;
  bulkMBps: Record<Way, number[]>;
  /** Sidecar CPU µs per command, per phase. */
  sidecarCpuPerConnectExec: number[];
  sidecarCpuPerChannelExec: number[];
  sidecarCpuPerMB: number[];
  idleRss: number;
  rssAfter: number;
}

async function writeRandomFile(path: string, megabytes: number, uid: number, gid: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < megabytes; i++) {
    if (!out.write(randomBytes(1024 * 1024))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  chownSync(path, uid, gid);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const command = `node ${relative(REPO, fileURLToPath(import.meta.url))} ${process.argv.slice(2).join(' ')}`.trim();
  const work = mkdtempSync(join(tmpdir(), 'airlock-ssh-bench-'));
  let server: SshServer | undefined;
  let sidecar: SidecarProcess | undefined;
  const closers: (() => Promise<void>)[] = [];
  try {
    log('starting sshd');
    const sshd = await SshServer.start({ users: ['bench'], settings: { MaxSessions: 100, MaxStartups: '100:30:200' } });
    server = sshd;
    const user = sshd.users.bench;
    if (!user) throw new Error('no bench user');
    const hostKeyLine = server.hostKeys[0] ?? '';

    // Direct: the agent would hold this key; through the sidecar it is the sidecar's (from its credentials).
    const key = await generateSshKeyPair({ comment: 'airlock-bench' });
    user.authorize(key.publicKey);
    const keyFile = join(work, 'id_ed25519');
    writeFileSync(keyFile, key.privateKey, { mode: 0o600 });
    const knownHosts = join(work, 'known_hosts');
    writeFileSync(knownHosts, `[${server.host}]:${server.port} ${hostKeyLine}\n`);
    const common = ['-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'];
    const direct: SshWay = {
      args: (extra = []) => [
        // Both ways read one config file only: through the sidecar its ssh_config (-F), here none.
        // The system-wide file would add GSSAPI attempts and the like to one side alone.
        '-F',
        '/dev/null',
        ...common,
        '-i',
        keyFile,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        `UserKnownHostsFile=${knownHosts}`,
        '-o',
        'StrictHostKeyChecking=yes',
        '-p',
        String(sshd.port),
        ...extra,
        `${user.name}@${sshd.host}`,
      ],
    };

    const configDir = join(work, 'config');
    mkdirSync(configDir, { mode: 0o700 });
    const config: SshSidecarProcessConfig = {
      upstream: { host: server.host, port: server.port, hostKeys: [hostKeyLine] },
      credentials: { username: user.name, privateKey: key.privateKey },
      configDir,
    };
    log('starting the sidecar');
    const nodeArgs = options.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(options.profile)] : [];
    sidecar = await SidecarProcess.start(join(HERE, 'ssh-sidecar-process.ts'), 'sidecar ssh', config, nodeArgs);
    const idle = await sidecar.stats();
    const viaSidecar: SshWay = {
      args: (extra = []) => [...common, '-F', join(configDir, 'ssh_config'), ...extra, `agent@${SSH_BENCH_TARGET}`],
    };
    const ways: Record<Way, SshWay> = { direct, sidecar: viaSidecar };

    const bulkFile = join(user.home, 'bulk.bin');
    log(`writing ${options.megabytes} MB of random bytes`);
    await writeRandomFile(bulkFile, options.megabytes, user.uid, user.gid);
    chmodSync(bulkFile, 0o600);

    // Warm-up: page cache for the file, JIT for the sidecar.
    for (const way of Object.values(ways)) {
      await timeSsh(way, 'true');
      await timeSsh(way, `head -c 16777216 ${bulkFile}`);
    }

    const m: Measured = {
      connectExec: { direct: [], sidecar: [] },
      channelExec: { direct: [], sidecar: [] },
      bulkMBps: { direct: [], sidecar: [] },
      sidecarCpuPerConnectExec: [],
      sidecarCpuPerChannelExec: [],
      sidecarCpuPerMB: [],
      idleRss: idle.rss,
      rssAfter: 0,
    };
    for (let round = 0; round < options.rounds; round++) {
      const order: Way[] = round % 2 === 0 ? ['direct', 'sidecar'] : ['sidecar', 'direct'];
      for (const way of order) {
        log(`round ${round + 1}/${options.rounds}: ${way}`);
        const before = way === 'sidecar' ? await sidecar.stats() : undefined;
        for (let i = 0; i < options.execs; i++) m.connectExec[way].push(await timeSsh(ways[way], 'true'));
        const afterConnect = way === 'sidecar' ? await sidecar.stats() : undefined;
        if (before && afterConnect) m.sidecarCpuPerConnectExec.push(cpuUs(before, afterConnect) / options.execs);

        const controlPath = join(work, `cm-${way}-${round}`);
        const closeMaster = await openMaster(ways[way], controlPath);
        closers.push(closeMaster);
        const mux = ['-o', `ControlPath=${controlPath}`, '-o', 'ControlMaster=no'];
        await timeSsh(ways[way], 'true', mux);
        const beforeChannel = way === 'sidecar' ? await sidecar.stats() : undefined;
        for (let i = 0; i < options.execs; i++) m.channelExec[way].push(await timeSsh(ways[way], 'true', mux));
        const afterChannel = way === 'sidecar' ? await sidecar.stats() : undefined;
        if (beforeChannel && afterChannel) m.sidecarCpuPerChannelExec.push(cpuUs(beforeChannel, afterChannel) / options.execs);

        const beforeBulk = way === 'sidecar' ? await sidecar.stats() : undefined;
        const ms = await timeSsh(ways[way], `cat ${bulkFile}`, mux);
        m.bulkMBps[way].push(options.megabytes / (ms / 1000));
        const afterBulk = way === 'sidecar' ? await sidecar.stats() : undefined;
        if (beforeBulk && afterBulk) m.sidecarCpuPerMB.push(cpuUs(beforeBulk, afterBulk) / options.megabytes);
        await closeMaster();
        closers.pop();
      }
    }
    m.rssAfter = (await sidecar.stats()).rss;
    const section = renderSection(m, options, command);
    process.stdout.write(`${section}\n`);
    writeSection(options.out, section);
    log(`wrote the SSH section of ${relative(REPO, options.out)}`);
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await sidecar?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

function renderSection(m: Measured, options: Options, command: string): string {
  const row = (name: string, d: readonly number[], s: readonly number[], unit: string, digits = 1): string =>
    `| ${name} | ${f(median(d), digits)} / ${f(percentile(d, 90), digits)} ${unit} | ${f(median(s), digits)} / ${f(percentile(s, 90), digits)} ${unit} | ${f(median(s) - median(d), digits)} ${unit} |`;
  const bulkRatio = median(m.bulkMBps.sidecar) / median(m.bulkMBps.direct);
  const addedChannel = median(m.channelExec.sidecar) - median(m.channelExec.direct);
  const addedConnect = median(m.connectExec.sidecar) - median(m.connectExec.direct);
  const out = [
    SSH_BEGIN,
    '## SSH: OpenSSH direct vs through the sidecar',
    '',
    `Generated by \`${command}\` on ${new Date().toISOString()} (nproc ${cpus().length}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )} at the end). The real \`ssh\` client to a real sshd on loopback, directly with a key and through the sidecar (policy, shell parsing, recording with fsync batch, ssh2 both ways); rounds alternate the two, ${options.rounds} round(s), ${options.execs} commands per phase and round.`,
    '',
    '| measurement | direct p50 / p90 | sidecar p50 / p90 | added p50 |',
    '|---|---:|---:|---:|',
    row('`ssh host true`, new connection each (ms)', m.connectExec.direct, m.connectExec.sidecar, 'ms'),
    row('`ssh host true` on an open connection (ControlMaster) (ms)', m.channelExec.direct, m.channelExec.sidecar, 'ms'),
    '',
    `| bulk \`cat\` of ${options.megabytes} MB | direct | sidecar | sidecar / direct |`,
    '|---|---:|---:|---:|',
    `| MB/s (median of rounds) | ${f(median(m.bulkMBps.direct))} | ${f(median(m.bulkMBps.sidecar))} | ${f(bulkRatio, 2)} |`,
    '',
    '| sidecar cost | value |',
    '|---|---:|',
    `| CPU per connect + exec (user + system) | ${f(median(m.sidecarCpuPerConnectExec) / 1000, 2)} ms |`,
    `| CPU per exec on an open connection | ${f(median(m.sidecarCpuPerChannelExec) / 1000, 2)} ms |`,
    `| CPU per MB of bulk output | ${f(median(m.sidecarCpuPerMB) / 1000, 2)} ms |`,
    `| RSS idle / after the run | ${f(m.idleRss / 1048576)} / ${f(m.rssAfter / 1048576)} MB |`,
    '',
    '| goal (issue, not a CI gate) | measured | met? |',
    '|---|---:|---|',
    `| bulk ≥ 0.5× direct OpenSSH | ${f(bulkRatio, 2)}× | ${bulkRatio >= 0.5 ? 'met' : '**not met**'} |`,
    `| added latency per exec ≤ 5 ms p50 (open connection) | ${f(addedChannel)} ms | ${addedChannel <= 5 ? 'met' : '**not met**'} |`,
    `| added latency per exec ≤ 5 ms p50 (new connection each) | ${f(addedConnect)} ms | ${addedConnect <= 5 ? 'met' : '**not met**'} |`,
    SSH_END,
  ];
  return out.join('\n');
}

const ANALYSIS = /<!-- BEGIN SSH ANALYSIS -->[\s\S]*<!-- END SSH ANALYSIS -->/;

/**
 * Replaces the SSH section of the results file, or appends it; the rest is kept byte for byte, and
 * so is the hand-written analysis inside the section.
 */
function writeSection(path: string, generated: string): void {
  const previous = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const analysis =
    ANALYSIS.exec(previous)?.[0] ??
    [
      '<!-- BEGIN SSH ANALYSIS -->',
      '### Where the time goes',
      '',
      '(to be written after looking at the numbers)',
      '<!-- END SSH ANALYSIS -->',
    ].join('\n');
  const section = generated.replace(SSH_END, `\n${analysis}\n${SSH_END}`);
  const begin = previous.indexOf(SSH_BEGIN);
  const end = previous.indexOf(SSH_END);
  const next =
    begin >= 0 && end > begin
      ? `${previous.slice(0, begin)}${section}${previous.slice(end + SSH_END.length)}`
      : `${previous.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}

main().catch((error: unknown) => {
  process.stderr.write(`ssh-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
