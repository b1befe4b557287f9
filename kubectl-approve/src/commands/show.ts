/** `kubectl approve show NAME`. */
import type { ApprovalRequest } from '@airlock/crds';
import type { Command } from '../cli/arguments.ts';
import { styleFor, type Terminal } from '../cli/terminal.ts';
import { formatObject } from '../format/machine-output.ts';
import { requestView } from '../format/request-view.ts';
import type { ApprovalApi } from '../kube/approval-api.ts';
import { type ContextResult, readSessionContext } from '../recordings/recording-file.ts';
import { connect } from './connect.ts';

export async function show(command: Extract<Command, { kind: 'show' }>, terminal: Terminal): Promise<number> {
  const { api, namespace } = connect(command.common, terminal);
  const request = await api.get(namespace, command.name);
  if (command.output) {
    terminal.stdout.write(formatObject(request, command.output));
    return 0;
  }
  terminal.stdout.write(
    await renderView(api, request, terminal, {
      color: command.common.color,
      raw: command.raw,
      recordings: command.recordings,
      history: command.history,
    }),
  );
  return 0;
}

export interface ViewFlags {
  readonly color: 'auto' | 'always' | 'never';
  readonly raw: boolean;
  readonly recordings?: string | undefined;
  readonly history: number;
}

/** The show view, with who I am and the session context when they can be had; neither is needed to show the request. */
export async function renderView(api: ApprovalApi, request: ApprovalRequest, terminal: Terminal, flags: ViewFlags): Promise<string> {
  const [me, context] = await Promise.all([
    api.whoami().catch(() => undefined),
    flags.recordings ? readSessionContext(flags.recordings, request, flags.history) : Promise.resolve<ContextResult | undefined>(undefined),
  ]);
  const style = styleFor(terminal, flags.color);
  return requestView(request, {
    now: terminal.now(),
    style,
    pretty: terminal.stdout.isTTY === true && !flags.raw,
    ...(me ? { me } : {}),
    ...(context ? { context } : {}),
    contextWidth: Math.max(40, (terminal.stdout.columns ?? 120) - 60),
  });
}
