/**
 * What a command gets from the process: its streams, environment and clock, passed down from
 * main.ts so nothing reads process state at module scope and tests can run commands in-process.
 */
import type { Readable, Writable } from 'node:stream';
import { COLOR, PLAIN, type Style } from '../format/terminal-text.ts';
import type { ColorMode } from './arguments.ts';

export interface Terminal {
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly stdin: Readable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  /** Aborted on Ctrl-C or SIGTERM. */
  readonly signal: AbortSignal;
}

/** Colors on a terminal, unless NO_COLOR or TERM=dumb; --color always/never decides otherwise. */
export function styleFor(terminal: Terminal, mode: ColorMode): Style {
  if (mode === 'always') return COLOR;
  if (mode === 'never') return PLAIN;
  const { env } = terminal;
  return terminal.stdout.isTTY && !env.NO_COLOR && env.TERM !== 'dumb' ? COLOR : PLAIN;
}

/** Someone is at the keyboard: stdin and stdout are terminals. */
export function interactive(terminal: Terminal): boolean {
  return terminal.stdin.isTTY === true && terminal.stdout.isTTY === true;
}

export function write(stream: Writable, text: string): void {
  stream.write(text);
}
