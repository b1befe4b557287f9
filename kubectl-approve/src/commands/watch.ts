/**
 * `kubectl approve watch`: pending requests as they appear. At a terminal it shows each one and
 * asks approve / deny / skip; otherwise (or --no-prompt, or -o) it prints one line per event.
 */
import type { ApprovalRequest } from '@airlock/crds';
import { isExpired, phaseOf, qualifiedName, reviewerStanding } from '../approval-facts.ts';
import type { Command } from '../cli/arguments.ts';
import { Prompter } from '../cli/prompt.ts';
import { interactive, styleFor, type Terminal } from '../cli/terminal.ts';
import { ApproveError, EXIT_INTERRUPTED } from '../errors.ts';
import { type WatchEvent, watchLine } from '../format/watch-line.ts';
import type { ApprovalApi } from '../kube/approval-api.ts';
import { connect } from './connect.ts';
import { streamRequestEvents } from './request-events.ts';
import { reviewedLine, submitReview } from './review.ts';
import { renderView } from './show.ts';

type WatchCommand = Extract<Command, { kind: 'watch' }>;

export async function watch(command: WatchCommand, terminal: Terminal): Promise<number> {
  const { api, namespace } = connect(command.common, terminal);
  const scope = command.allNamespaces ? undefined : namespace;
  const warn = (message: string) => terminal.stderr.write(`kubectl-approve: ${message}\n`);
  if (!command.prompt || command.output || !interactive(terminal)) {
    await streamRequestEvents({
      api,
      namespace: scope,
      includeExisting: !command.watchOnly,
      signal: terminal.signal,
      warn,
      emit: (event) => terminal.stdout.write(watchLine(event, command.output ?? 'line')),
    });
    return 0;
  }
  return reviewInteractively(command, terminal, api, scope, warn);
}

async function reviewInteractively(
  command: WatchCommand,
  terminal: Terminal,
  api: ApprovalApi,
  scope: string | undefined,
  warn: (message: string) => void,
): Promise<number> {
  const me = await api.whoami();
  const stop = new AbortController();
  const signal = AbortSignal.any([terminal.signal, stop.signal]);
  const latest = new Map<string, ApprovalRequest>();
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  /** The request being asked about, and how to stop asking when someone else decides it. */
  let asking: { key: string; abort: AbortController } | undefined;

  const onEvent = (event: WatchEvent) => {
    const key = qualifiedName(event.request);
    latest.set(key, event.request);
    if (event.type === 'pending') {
      queue.push(key);
      wake?.();
    } else if (asking?.key === key && event.type !== 'reviewed') {
      terminal.stdout.write(`\n${key} is now ${event.type}.\n`);
      asking.abort.abort();
    }
  };

  terminal.stdout.write(
    `Watching for pending ApprovalRequests ${scope ? `in namespace ${scope}` : 'in all namespaces'} as ${me.username}; Ctrl-C to stop.\n`,
  );
  let interrupted = false;
  const prompter = new Prompter(terminal.stdin, terminal.stdout, () => {
    interrupted = true;
    stop.abort();
  });
  const streaming = streamRequestEvents({
    api,
    namespace: scope,
    includeExisting: !command.watchOnly,
    signal,
    warn,
    emit: onEvent,
  }).finally(() => wake?.());
  let failure: unknown;
  streaming.catch((error: unknown) => {
    failure = error;
    stop.abort();
    prompter.close();
  });

  try {
    while (!signal.aborted) {
      const key = queue.shift();
      if (key === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        wake = undefined;
        continue;
      }
      const request = latest.get(key);
      if (!request || phaseOf(request) !== 'Pending' || isExpired(request, terminal.now())) continue;
      const standing = reviewerStanding(request, me);
      if (standing.kind !== 'approver') {
        const why =
          standing.kind === 'reviewed'
            ? `you reviewed it (${standing.review.decision})`
            : standing.kind === 'requester'
              ? `you are ${standing.role}`
              : 'you are not an approver';
        terminal.stdout.write(`${key}: pending, ${why}; not asking.\n`);
        continue;
      }
      terminal.stdout.write(
        `\n${await renderView(api, request, terminal, { color: command.common.color, raw: false, recordings: command.recordings, history: command.history })}`,
      );
      const quit = await decide(request, key);
      if (quit) break;
    }
  } finally {
    stop.abort();
    prompter.close();
    await streaming.catch(() => undefined);
  }
  if (failure) throw failure;
  return interrupted ? EXIT_INTERRUPTED : 0;

  /** Asks about one request and writes the review; true when the reviewer quits. */
  async function decide(request: ApprovalRequest, key: string): Promise<boolean> {
    const abort = new AbortController();
    asking = { key, abort };
    const askSignal = AbortSignal.any([signal, abort.signal]);
    const style = styleFor(terminal, command.common.color);
    try {
      for (;;) {
        const answer = (await prompter.ask(style.heading(`Approve, deny or skip ${key}? [a/d/s/q] `), askSignal))?.toLowerCase();
        if (answer === undefined) return !abort.signal.aborted;
        if (answer === 'q' || answer === 'quit') return true;
        if (answer === 's' || answer === 'skip' || answer === '') return false;
        if (answer !== 'a' && answer !== 'approve' && answer !== 'd' && answer !== 'deny') continue;
        const decision = answer.startsWith('a') ? 'Approve' : 'Deny';
        let reason: string | undefined;
        for (;;) {
          reason = await prompter.ask(decision === 'Deny' ? 'Reason (required): ' : 'Reason (optional): ', askSignal);
          if (reason === undefined) return !abort.signal.aborted;
          if (reason || decision === 'Approve') break;
        }
        try {
          const updated = await submitReview(api, latest.get(key) ?? request, { me, decision, reason, now: terminal.now() });
          terminal.stdout.write(style.good(reviewedLine(updated, me, decision)));
        } catch (error) {
          if (!(error instanceof ApproveError)) throw error;
          terminal.stdout.write(style.warn(`error (${error.code}): ${error.message}\n`));
        }
        return false;
      }
    } finally {
      asking = undefined;
    }
  }
}
