/**
 * The ssh2 client as an agent, for what the OpenSSH client cannot express in a test: several
 * commands on one connection, the exit signal of a command, channels opened on purpose past a limit,
 * a forwarding channel without a local listener, a shell with a chosen terminal size.
 */
import ssh2, { type Client, type ClientChannel, type PseudoTtyOptions } from 'ssh2';

export interface ExecResult {
  readonly code: number | null | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface OpenExec {
  readonly channel: ClientChannel;
  /** Settles when the channel closes. */
  readonly result: Promise<ExecResult>;
}

/** Logs in to the sidecar: as pod identity (method none), or with a token as the password. */
export function connectAgent(port: number, password?: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, username: 'agent', readyTimeout: 10_000, ...(password === undefined ? {} : { password }) });
  });
}

/** The listeners are attached in ssh2's callback: output and the exit status may arrive in the same packet batch. */
function collect(channel: ClientChannel): Promise<ExecResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    channel.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    channel.on('close', (code: number | null | undefined, signal?: string) => resolve({ code, signal, stdout, stderr }));
  });
}

export function openExec(client: Client, command: string): Promise<OpenExec> {
  return new Promise((resolve, reject) =>
    client.exec(command, (error, channel) => (error ? reject(error) : resolve({ channel, result: collect(channel) }))),
  );
}

/** Runs a command with empty stdin. */
export async function execOn(client: Client, command: string): Promise<ExecResult> {
  const { channel, result } = await openExec(client, command);
  channel.end();
  return result;
}

/** An interactive shell: with that terminal, or none when `pty` is false (ssh2 would otherwise ask for a default one). */
export function openShell(client: Client, pty: PseudoTtyOptions | false): Promise<OpenExec> {
  return new Promise((resolve, reject) =>
    client.shell(pty, (error, channel) => (error ? reject(error) : resolve({ channel, result: collect(channel) }))),
  );
}
