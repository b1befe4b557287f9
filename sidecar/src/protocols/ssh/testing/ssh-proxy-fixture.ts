/**
 * A real OpenSSH sshd (the test kit's SshServer) with the sidecar in front of it, wired with the
 * in-process seams: static config and credentials (a client key the server's user authorizes, or
 * certificates a test CA signs per connect: certificate-authority-credentials.ts),
 * the in-process approval gate, JSONL recordings in a temp dir, and a temp dir as the config
 * volume, where the sidecar writes the agents' ssh_config and known_hosts. Tests drive reviewers
 * through `gate`, run the real `ssh` client as the agent with that ssh_config (`ssh -F
 * <configDir>/ssh_config orders-bastion`, the sidecar's host key checked strictly), and read
 * recordings from `recordingsDir`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent, StoredRecord } from '@airlock/contracts/recording';
import { POSTGRES_DEFAULT_LIMITS, SSH_CONFIG_FILE } from '@airlock/contracts/targets';
import type { ApprovalPolicySpec, TargetSpec } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import { generateSshKeyPair, type SshLoginUser, type SshServer } from '@airlock/testkit';
import type { AgentPrincipal, TargetConfig } from '../../../core/ports.ts';
import { FileRecordingStore } from '../../../core/recording/file-sink.ts';
import { InProcessApprovalGate } from '../../../in-process/in-process-gate.ts';
import { StaticAuthenticator } from '../../../in-process/static-authenticator.ts';
import { StaticConfigSource } from '../../../in-process/static-config.ts';
import { StaticCredentialSource } from '../../../in-process/static-credentials.ts';
import { type RunningSidecar, startSidecar } from '../../../sidecar.ts';
import type { SshLimits } from '../limits/ssh-limits.ts';
import { CertificateAuthorityCredentials, type CertificateAuthorityOptions } from './certificate-authority-credentials.ts';

export const PRINCIPAL: AgentPrincipal = {
  identity: 'release-bot',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:release-bot',
  pod: { name: 'release-7kq2x', uid: '5f0c7a2e-2222-4c8e-9d1e-000000000002' },
  groups: ['ci'],
};

export const TARGET_NAME = 'orders-bastion';

const OPS_APPROVE = { approvers: { groups: ['ops'] }, requiredApprovals: 1, ttl: '5m' };

/**
 * Harmless programs run; rm never; writing a file or restarting a service needs ops; the rest is
 * denied. Approval settings are on the rules, not the policy, so a line the analysis cannot read
 * is denied (with policy-wide approvers it would be held instead: unknown is never allowed).
 */
export const TEST_POLICY: ApprovalPolicySpec = {
  rules: [
    { name: 'no-rm', match: { ssh: { programs: ['rm', 'shred'] } }, action: 'deny', message: 'Deleting files is not allowed here.' },
    { name: 'writes', match: { ssh: { writes: ['**'] } }, action: 'requireApproval', approval: OPS_APPROVE },
    {
      name: 'restarts',
      match: { ssh: { programs: ['systemctl'], arguments: ['restart *'] } },
      action: 'requireApproval',
      approval: OPS_APPROVE,
    },
    {
      name: 'harmless',
      match: { ssh: { programs: ['echo', 'printf', 'cat', 'head', 'id', 'true', 'sleep', 'kill', 'exit'] } },
      action: 'allow',
    },
  ],
  defaultAction: 'deny',
};

export interface SshProxyFixture {
  readonly sidecar: RunningSidecar;
  readonly port: number;
  readonly gate: InProcessApprovalGate;
  readonly recordingsDir: string;
  /** The config volume: ssh_config and known_hosts as the agent container sees them. */
  readonly configDir: string;
  readonly target: TargetConfig;
  close(): Promise<void>;
}

export interface SshProxyOptions {
  readonly policy?: ApprovalPolicySpec;
  /** Over the Target's spec.ssh (for example other hostKeys). */
  readonly ssh?: Partial<NonNullable<TargetSpec['ssh']>>;
  readonly user?: string;
  readonly limits?: Partial<SshLimits>;
  /** When set, agents must send one of these tokens as their password; otherwise pod identity. */
  readonly agentTokens?: Readonly<Record<string, AgentPrincipal>>;
  /**
   * Log in upstream with certificates this CA signs per connect (the broker's certificateAuthorityKey
   * mode, in-process) instead of a key the user authorizes; the server must trust the CA
   * (SshServerOptions.trustedUserCaKeys).
   */
  readonly certificateAuthority?: CertificateAuthorityOptions;
  /** The Target's spec.recording (default onStoreFailure Block). */
  readonly recording?: TargetSpec['recording'];
  /** Where the sidecar writes its recordings (a directory on a small tmpfs, to fill it); a temp dir by default. */
  readonly recordingsDir?: string;
}

export async function startSshProxy(server: SshServer, options: SshProxyOptions = {}): Promise<SshProxyFixture> {
  const user = server.users[options.user ?? 'deploy'];
  if (!user) throw new Error(`the test server has no user ${options.user ?? 'deploy'}`);
  const credentials = options.certificateAuthority
    ? new CertificateAuthorityCredentials(user.name, PRINCIPAL, options.certificateAuthority)
    : await authorizedKeyCredentials(user);
  const target: TargetConfig = {
    name: TARGET_NAME,
    namespace: 'agents',
    labels: { env: 'test' },
    spec: {
      type: 'ssh',
      localPort: 2222,
      ssh: { host: server.host, port: server.port, hostKeys: [...server.hostKeys], ...options.ssh },
      recording: options.recording ?? { onStoreFailure: 'Block' },
    },
  };
  const recordingsDir = options.recordingsDir ?? mkdtempSync(join(tmpdir(), 'airlock-ssh-recordings-'));
  const configDir = mkdtempSync(join(tmpdir(), 'airlock-ssh-config-'));
  const gate = new InProcessApprovalGate();
  const removeDirs = () => {
    rmSync(recordingsDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  };
  // The sidecar as static mode wires it, without PostgreSQL's classifier: this sidecar serves no postgres target.
  const sidecar = await startSidecar({
    config: new StaticConfigSource({
      principal: PRINCIPAL,
      targets: [target],
      policies: [{ name: 'ssh-policy', namespace: 'agents', spec: options.policy ?? TEST_POLICY }],
      maskingKeys: {},
    }),
    credentials,
    authenticator: new StaticAuthenticator(PRINCIPAL, options.agentTokens),
    gate,
    recordings: new FileRecordingStore({ directory: recordingsDir, fsync: 'never' }),
    postgres: {
      classify: () => {
        throw new Error('this test sidecar serves no postgres target');
      },
      limits: POSTGRES_DEFAULT_LIMITS,
    },
    ssh: { ...(options.limits ? { limits: options.limits } : {}) },
    logger: createLogger({ level: process.env.AIRLOCK_TEST_LOG === '1' ? 'debug' : 'silent' }),
    listenHost: '127.0.0.1',
    ports: { [TARGET_NAME]: 0 },
    recorderOptions: { maxBatchDelayMs: 5 },
    configDir,
  }).catch((error: unknown) => {
    // A sidecar that did not start leaves nothing behind either.
    gate.close();
    removeDirs();
    throw error;
  });
  const close = async () => {
    gate.close();
    await sidecar.close();
  };
  return {
    sidecar,
    port: sidecar.ports[TARGET_NAME] ?? 0,
    gate,
    recordingsDir,
    configDir,
    target,
    close: async () => {
      await close();
      removeDirs();
    },
  };
}

/** A client key the user authorizes, as static credentials. */
async function authorizedKeyCredentials(user: SshLoginUser): Promise<StaticCredentialSource> {
  const key = await generateSshKeyPair({ comment: 'airlock-sidecar-test' });
  user.authorize(key.publicKey);
  return new StaticCredentialSource({ [TARGET_NAME]: { username: user.name, privateKey: key.privateKey } });
}

export interface SshRun {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Where the agent's ssh finds its config: a fixture's config volume, or a directory a test wrote. */
export interface AgentSshConfig {
  readonly configDir: string;
}

/**
 * The real OpenSSH client as the agent, as an agent pod runs it: `ssh -F <configDir>/ssh_config
 * agent@orders-bastion <command>` — the sidecar's address, port and host key all come from the
 * files the sidecar wrote, and the host key is checked strictly (the ssh_config says so; the
 * command line does not turn anything off).
 */
export function runSsh(
  agent: AgentSshConfig,
  command: string | undefined,
  options: {
    readonly stdin?: Buffer;
    readonly args?: readonly string[];
    readonly onStderr?: (text: string) => void;
    readonly timeoutMs?: number;
    /** Over this process's environment: TERM is the terminal type `ssh -tt` asks for. */
    readonly env?: Readonly<Record<string, string>>;
  } = {},
): Promise<SshRun> & { readonly kill: () => void } {
  const child = spawn(
    'ssh',
    [
      // First: ssh keeps the first value it reads for an option, so a test's own -o wins.
      ...(options.args ?? []),
      '-F',
      join(agent.configDir, SSH_CONFIG_FILE),
      '-o',
      'BatchMode=yes',
      '-o',
      'LogLevel=ERROR',
      `agent@${TARGET_NAME}`,
      ...(command === undefined ? [] : [command]),
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    },
  );
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    options.onStderr?.(stderr);
  });
  child.stdin.on('error', () => undefined);
  if (options.stdin) child.stdin.end(options.stdin);
  else child.stdin.end();
  const done = new Promise<SshRun>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr }));
  });
  return Object.assign(done, { kill: () => child.kill('SIGTERM') });
}

/** The real sftp client as the agent, in batch mode, with the sidecar's ssh_config: `commands` are its batch file. */
export function runSftp(
  agent: AgentSshConfig,
  commands: string,
): Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }> {
  const child = spawn(
    'sftp',
    ['-F', join(agent.configDir, SSH_CONFIG_FILE), '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-b', '-', `agent@${TARGET_NAME}`],
    { stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(commands);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Every record the sidecar stored, across its session files, in order of each file. */
export function readRecords(recordingsDir: string): StoredRecord[] {
  return readdirSync(recordingsDir)
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) =>
      readFileSync(join(recordingsDir, file), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as StoredRecord),
    );
}

export function eventsOf(records: readonly StoredRecord[]): RecordedEvent[] {
  return records.map((record) => record.event);
}
