/**
 * `kubectl approve replay NAME|--session ID --recordings DIR [--output FILE]`: the recorded terminal
 * output of an SSH session, or of the `kubectl exec` and `attach` streams of a Kubernetes session
 * (the sidecar records both with the same events), as asciicast v2 (@airlock/contracts
 * recording/asciicast.ts), from the records before any break in the hash chain. With --session no
 * API server is asked.
 */
import { writeFile } from 'node:fs/promises';
import { renderAsciicast, toAsciicast, verifiedPrefix } from '@airlock/contracts/recording';
import type { Command } from '../cli/arguments.ts';
import type { Terminal } from '../cli/terminal.ts';
import { ApproveError } from '../errors.ts';
import { candidatePaths, readFirst, sessionPaths } from '../recordings/recording-file.ts';
import { connect } from './connect.ts';

type ReplayCommand = Extract<Command, { kind: 'replay' }>;

/** Protocols whose sessions record terminal output: SSH commands, Kubernetes exec and attach. */
const TERMINAL_PROTOCOLS: ReadonlySet<string> = new Set(['ssh', 'kubernetes']);

export async function replay(command: ReplayCommand, terminal: Terminal): Promise<number> {
  const warn = (message: string) => terminal.stderr.write(`kubectl-approve: ${message}\n`);
  const { session, paths, of } = await locate(command, terminal);
  const file = await readFirst(paths);
  if (file === undefined) {
    throw new ApproveError(
      'NotFound',
      `no recording of session ${session}${of} in ${command.recordings} (looked for ${paths.join(', ') || 'nothing: the id cannot name a file'}); --recordings must be the operator's recordings directory or a copy of it`,
    );
  }
  if ('unreadable' in file) throw new ApproveError('NotFound', file.unreadable);
  const { verdict, records } = verifiedPrefix(file.text, { session });
  if (!verdict.ok) {
    warn(`${file.path}: hash chain BROKEN (${verdict.message}); only what was recorded before the break is replayed`);
  }
  const opened = records.find((record) => record.event.type === 'session.open')?.event;
  if (opened?.type === 'session.open' && !TERMINAL_PROTOCOLS.has(opened.protocol)) {
    throw new ApproveError(
      'NotFound',
      `session ${session} is a ${opened.protocol} session: it has no terminal output to replay; kubectl approve show NAME --recordings DIR lists its statements`,
    );
  }
  const cast = toAsciicast(records);
  if (cast.commands.length === 0) {
    warn(`session ${session} ran no command (denied and held commands show nothing): the cast is empty`);
  }
  const text = renderAsciicast(cast);
  if (command.file === undefined) {
    terminal.stdout.write(text);
    return 0;
  }
  try {
    // Never over an existing file: a replay is evidence, and so may be the file it would replace.
    await writeFile(command.file, text, { flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new ApproveError('Usage', `${command.file} exists: remove it or choose another --output file`);
    throw new ApproveError('Internal', `cannot write ${command.file}: ${(error as Error).message}`, { cause: error });
  }
  warn(
    `wrote ${command.file}: ${cast.events.length} events of ${cast.commands.length} command(s); play it with asciinema play ${command.file}`,
  );
  return 0;
}

/** The session to replay and where its file may be: the request's (from the API server) or the one given. */
async function locate(
  command: ReplayCommand,
  terminal: Terminal,
): Promise<{ readonly session: string; readonly paths: readonly string[]; readonly of: string }> {
  if ('session' in command.source) {
    const { session } = command.source;
    return { session, paths: await sessionPaths(command.recordings, session), of: '' };
  }
  const { api, namespace } = connect(command.common, terminal);
  const request = await api.get(namespace, command.source.request);
  return {
    session: request.spec.operation.sessionID,
    paths: candidatePaths(command.recordings, request),
    of: ` (of ApprovalRequest ${command.source.request} in ${namespace})`,
  };
}
