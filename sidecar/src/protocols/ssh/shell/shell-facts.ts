/**
 * What a shell command line does, as the analysis (analyze-command-line.ts) reads it from the parse
 * tree: every program it runs, each with its arguments, redirections, environment assignments and
 * the user it runs as. Text the shell fills in at run time is SHELL_DYNAMIC (contracts
 * policy/shell-glob.ts). When the line hides something the analysis cannot name, `unknownReasons`
 * says what, and the line fails closed; the programs it could name are still listed, so a deny
 * rule for one of them still decides.
 */

export type ShellRedirectKind = 'write' | 'append' | 'read' | 'readWrite' | 'dup' | 'heredoc' | 'herestring';

export interface ShellRedirect {
  readonly kind: ShellRedirectKind;
  /** The file descriptor before the operator (`2>`), when written. */
  readonly fd?: string;
  /** The file (or, for dup, the descriptor), after quote removal; for heredoc the body is not kept. */
  readonly target: string;
}

export interface ShellRunAs {
  /** The program that switches user: sudo, su, doas, pkexec, runuser. */
  readonly via: string;
  /** The user, as written (`root` when none is given); SHELL_DYNAMIC when the shell fills it in. */
  readonly user: string;
  /** The user is root, or could be. */
  readonly root: boolean;
}

export interface ShellCommand {
  /**
   * The program as written, after quote removal (`rm`, `/bin/rm`, `./deploy.sh`). Absent for a
   * statement of only redirections or assignments (`> file`, `exec 3> file`, `X=1`).
   */
  readonly program?: string;
  /** The arguments after the program, each after quote removal. */
  readonly arguments: readonly string[];
  /** Redirections that apply: the command's own and those of every compound command around it. */
  readonly redirects: readonly ShellRedirect[];
  /** Files written through redirections (write, append, readWrite), without /dev/null and the like. */
  readonly writes: readonly string[];
  /** NAME=value assignments for this command: its own prefix and those given through env, sudo or su. */
  readonly assignments: readonly string[];
  /** sudo, su, doas, pkexec or runuser runs the program as another user. */
  readonly runAs?: ShellRunAs;
  /**
   * The programs the command was found through, outermost first: `['sudo', 'bash -c']` for
   * `sudo bash -c 'rm x'`; `function f` for a function's body; `$(...)` for a substitution.
   */
  readonly via: readonly string[];
}

export interface ShellFacts {
  /** The exact text analyzed. */
  readonly text: string;
  /** Every command found, in the order the text names them (payloads after their wrappers). */
  readonly commands: readonly ShellCommand[];
  /** Names of the functions the line defines. */
  readonly functions: readonly string[];
  /** Why the line cannot be read completely; empty when it can. Any reason fails the line closed. */
  readonly unknownReasons: readonly string[];
}
