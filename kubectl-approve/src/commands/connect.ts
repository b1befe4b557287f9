/** The API for a command's cluster flags: kubeconfig, context, namespace, request logging for -v 6+. */
import type { CommonFlags } from '../cli/arguments.ts';
import type { Terminal } from '../cli/terminal.ts';
import { ApiClient } from '../kube/api-client.ts';
import { ApprovalApi } from '../kube/approval-api.ts';
import { loadConnection } from '../kube/kubeconfig.ts';

export interface Connected {
  readonly api: ApprovalApi;
  readonly namespace: string;
}

export function connect(flags: CommonFlags, terminal: Terminal): Connected {
  const connection = loadConnection(flags, terminal.env);
  const client = new ApiClient(connection.kubeConfig, {
    ...(flags.verbosity >= 6 ? { log: (line: string) => terminal.stderr.write(`kubectl-approve: ${line}\n`) } : {}),
  });
  return { api: new ApprovalApi(client), namespace: connection.namespace };
}
