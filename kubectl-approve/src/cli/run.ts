/**
 * One invocation: parse, run the command, print an error the kubectl way (`error (Code): ...` on
 * stderr) and turn it into the documented exit status.
 */
import { list } from '../commands/list.ts';
import { replay } from '../commands/replay.ts';
import { reviewCommand } from '../commands/review.ts';
import { show } from '../commands/show.ts';
import { watch } from '../commands/watch.ts';
import { ApproveError, EXIT_CODES, EXIT_INTERRUPTED } from '../errors.ts';
import { parseArguments } from './arguments.ts';
import { LIST_HELP, MAIN_HELP, REPLAY_HELP, REVIEW_HELP, SHOW_HELP, WATCH_HELP } from './help.ts';
import type { Terminal } from './terminal.ts';

export const VERSION = '0.1.0';

const HELP = { main: MAIN_HELP, list: LIST_HELP, show: SHOW_HELP, review: REVIEW_HELP, watch: WATCH_HELP, replay: REPLAY_HELP } as const;

export async function run(argv: readonly string[], terminal: Terminal): Promise<number> {
  try {
    const command = parseArguments(argv);
    switch (command.kind) {
      case 'help':
        terminal.stdout.write(HELP[command.topic]);
        return 0;
      case 'version':
        terminal.stdout.write(`kubectl-approve ${VERSION}\n`);
        return 0;
      case 'list':
        return await list(command, terminal);
      case 'show':
        return await show(command, terminal);
      case 'review':
        return await reviewCommand(command, terminal);
      case 'replay':
        return await replay(command, terminal);
      case 'watch': {
        const code = await watch(command, terminal);
        return terminal.signal.aborted ? EXIT_INTERRUPTED : code;
      }
    }
  } catch (error) {
    if (terminal.signal.aborted) return EXIT_INTERRUPTED;
    if (error instanceof ApproveError) {
      terminal.stderr.write(`error (${error.code}): ${error.message}\n`);
      return error.exitCode;
    }
    terminal.stderr.write(`error (Internal): ${(error as Error).stack ?? String(error)}\n`);
    return EXIT_CODES.Internal;
  }
}
