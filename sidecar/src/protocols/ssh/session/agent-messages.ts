/**
 * What the agent reads when the sidecar, not the host, answers a command: one `airlock: ...` line
 * per sentence on the channel's stderr, and an exit status that says what kind of answer it was.
 * The agent's tools show stderr as it is (`ssh host cmd` prints it), so the line is the message;
 * scripts read the status.
 */
import type { HoldRefusal } from '../../../core/approval/approval-hold.ts';

/** The exit statuses of commands the sidecar answered itself. */
export const EXIT_STATUS = {
  /**
   * Denied by policy or refused by a limit: 126, the shell's status for a command that was found
   * but could not be executed. The command was not run, so no status of the program's own can be
   * mistaken for it (127 is "not found", which would send an agent looking for the program).
   */
  denied: 126,
  /** The approval was denied, expired, withdrawn or could not be asked for: a plain failure, the command was not run. */
  notApproved: 1,
  /**
   * The host was not reached, refused the sidecar, or the connection to it was lost: 255, what
   * `ssh` itself exits with when the connection fails, so wrappers that retry on it keep working.
   */
  upstreamFailed: 255,
} as const;

/** Lines end in CRLF when a terminal is attached (the pty does not translate for stderr written by the sidecar). */
export function agentLines(sentences: readonly string[], terminal: boolean): Buffer {
  const end = terminal ? '\r\n' : '\n';
  return Buffer.from(sentences.map((sentence) => `airlock: ${sentence}${end}`).join(''), 'utf8');
}

/** A command the policy denied: the decision's reason (which ends with the rule's message, when it has one). */
export function deniedSentences(reason: string): string[] {
  return [`denied: ${reason}`];
}

/** The ApprovalRequest a held command waits for, how it is approved and how the agent withdraws it. */
export function waitingSentences(notice: { readonly message: string; readonly detail: string }): string[] {
  return [notice.message, notice.detail, 'Close the session (Ctrl-C) to withdraw the request.'];
}

/** A held command that will not run. */
export function notApprovedSentences(refusal: HoldRefusal): string[] {
  return [`not run: ${refusal.message}`, ...(refusal.hint ? [refusal.hint] : [])];
}

/** The host could not run the command. */
export function upstreamFailedSentences(target: string, message: string): string[] {
  return [`cannot reach target ${target}: ${message}`];
}

/** Summary of a held command for the reviewer's list: `ssh deploy@orders-bastion: systemctl restart orders`. */
export function commandSummary(user: string | undefined, target: string, command: string, limit = 200): string {
  const oneLine = command.replace(/\s+/g, ' ').trim();
  const text = `ssh ${user ? `${user}@` : ''}${target}: ${oneLine}`;
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/**
 * A denied interactive shell: the reason, and what the agent can do instead. Commands sent one by
 * one are each decided on their own, so a policy that refuses shells may still allow them.
 */
export function shellDeniedSentences(reason: string, target: string): string[] {
  return [`denied: ${reason}`, `Run each command as \`ssh ${target} '<command>'\` instead: each command is then decided on its own.`];
}

/**
 * Summary of a held shell for the reviewer's list: who logs in where, and that it is a session,
 * not one command: `ssh deploy@orders-bastion: interactive shell (terminal xterm-256color)`. The
 * terminal type is the agent's text: only its plain characters are shown, and at most 32 of them.
 */
export function shellSummary(user: string | undefined, target: string, term: string | undefined): string {
  const who = `ssh ${user ? `${user}@` : ''}${target}`;
  if (term === undefined) return `${who}: shell without a terminal (commands read from its input)`;
  const shown = term.replace(/[^\w.+-]/g, '?').slice(0, 32);
  return `${who}: interactive shell (terminal ${shown || '?'})`;
}

/**
 * Summary of a held subsystem for the reviewer's list: `ssh deploy@orders-bastion: sftp session
 * (file transfers, each decided by the policy)`. The name is the agent's text: only its plain
 * characters are shown, and at most 64 of them.
 */
export function subsystemSummary(user: string | undefined, target: string, name: string): string {
  const shown = name.replace(/[^\w.@+-]/g, '?').slice(0, 64);
  const what = shown === 'sftp' ? 'sftp session (file transfers, each decided by the policy)' : `${shown} subsystem`;
  return `ssh ${user ? `${user}@` : ''}${target}: ${what}`;
}
