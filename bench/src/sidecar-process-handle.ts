/**
 * A benchmark's sidecar in a process of its own (sidecar-process.ts for PostgreSQL,
 * ssh-sidecar-process.ts for SSH), driven by their line protocol: the first stdout line is
 * {"port", "pid"}, then each "stats" line on stdin is answered with {"stats": SidecarStats}, and
 * "exit" stops it. Its own process, so its CPU time and RSS are its own.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SidecarStats } from './sidecar-process-protocol.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const START_TIMEOUT_MS = 30_000;

export class SidecarProcess {
  /** For messages: `sidecar full`, `sidecar ssh`. */
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  #waiters: ((line: string) => void)[] = [];
  #stderr = '';

  private constructor(label: string, port: number, child: ChildProcessWithoutNullStreams, lines: Interface) {
    this.label = label;
    this.port = port;
    this.pid = child.pid ?? 0;
    this.#child = child;
    this.#lines = lines;
    lines.on('line', (line) => this.#waiters.shift()?.(line));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-4000);
    });
  }

  /** Starts `script` with the JSON of `config` as its argument and waits for its first line. */
  static async start(script: string, label: string, config: unknown, nodeArgs: readonly string[] = []): Promise<SidecarProcess> {
    const child = spawn(process.execPath, [...nodeArgs, script, JSON.stringify(config)], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const first = await new Promise<string>((resolveLine, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${label} did not start in ${START_TIMEOUT_MS / 1000} s:\n${stderr}`)),
        START_TIMEOUT_MS,
      );
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolveLine(line);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${label} exited (${code}):\n${stderr}`));
      });
    });
    const { port } = JSON.parse(first) as { port: number };
    return new SidecarProcess(label, port, child, lines);
  }

  stats(): Promise<SidecarStats> {
    return new Promise((resolveStats, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label} did not answer stats:\n${this.#stderr}`)), 10_000);
      this.#waiters.push((line) => {
        clearTimeout(timer);
        resolveStats((JSON.parse(line) as { stats: SidecarStats }).stats);
      });
      this.#child.stdin.write('stats\n');
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.#child.once('exit', () => r()));
    this.#child.stdin.end('exit\n');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.#lines.close();
  }
}
