/**
 * The real OpenSSH scp and rsync as the agent, with the sidecar's ssh_config (`-F`), as an agent
 * pod runs them: `scp` (SFTP by default, `-O` for the legacy scp -t/-f protocol) and `rsync -e
 * "ssh -F <config>"`. The host is the ssh_config's alias for the Target, `agent@orders-bastion`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SSH_CONFIG_FILE } from '@airlock/contracts/targets';
import { type AgentSshConfig, TARGET_NAME } from './ssh-proxy-fixture.ts';

export interface ClientRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `host:path` for a path on the Target. */
export const onTarget = (path: string): string => `agent@${TARGET_NAME}:${path}`;

function run(program: string, args: readonly string[], input = ''): Promise<ClientRun> {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const sshOptions = (agent: AgentSshConfig): string[] => [
  '-F',
  join(agent.configDir, SSH_CONFIG_FILE),
  '-o',
  'BatchMode=yes',
  '-o',
  'LogLevel=ERROR',
];

/** `scp -F <config> ... <args>`; add `-O` for the legacy protocol. */
export function runScp(agent: AgentSshConfig, args: readonly string[]): Promise<ClientRun> {
  return run('scp', [...sshOptions(agent), ...args]);
}

/** `rsync -e "ssh -F <config> ..." <args>`. */
export function runRsync(agent: AgentSshConfig, args: readonly string[]): Promise<ClientRun> {
  return run('rsync', ['-e', ['ssh', ...sshOptions(agent)].join(' '), ...args]);
}
