/** `kubectl approve list`. */

import { phaseOf } from '../approval-facts.ts';
import type { Command } from '../cli/arguments.ts';
import type { Terminal } from '../cli/terminal.ts';
import { formatList } from '../format/machine-output.ts';
import { requestTable } from '../format/request-table.ts';
import { connect } from './connect.ts';

export async function list(command: Extract<Command, { kind: 'list' }>, terminal: Terminal): Promise<number> {
  const { api, namespace } = connect(command.common, terminal);
  const listed = await api.list(command.allNamespaces ? undefined : namespace);
  const requests = command.allPhases ? listed.items : listed.items.filter((r) => phaseOf(r) === 'Pending');
  const output = command.output;
  if (output === 'json' || output === 'yaml' || output === 'name') {
    terminal.stdout.write(formatList(requests, output));
    return 0;
  }
  if (requests.length === 0) {
    const where = command.allNamespaces ? 'in any namespace' : `in namespace ${namespace}`;
    terminal.stderr.write(`No ${command.allPhases ? '' : 'pending '}ApprovalRequests ${where}.\n`);
    return 0;
  }
  terminal.stdout.write(
    requestTable(requests, {
      now: terminal.now(),
      allNamespaces: command.allNamespaces,
      showPhase: command.allPhases,
      wide: output === 'wide',
    }),
  );
  return 0;
}
