import { spawnSync } from 'node:child_process';
import { BuildError } from './errors.ts';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Bytes for the command's standard input. */
  readonly input?: Buffer | string;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end and returns what it printed; never throws for a non-zero exit. */
export function tryRun(command: string, args: readonly string[], options: RunOptions = {}): RunResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) return { status: null, stdout: '', stderr: `could not run ${command}: ${result.error.message}` };
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command and returns its standard output; a BuildError with `code` and its stderr when it fails. */
export function run(command: string, args: readonly string[], code: string, options: RunOptions = {}): string {
  const result = tryRun(command, args, options);
  if (result.status !== 0) {
    const shown = [command, ...args].join(' ');
    throw new BuildError(
      code,
      `${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown} failed (exit ${result.status}):\n${result.stderr.trim().slice(-4000)}`,
    );
  }
  return result.stdout;
}
