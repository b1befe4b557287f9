/**
 * Compiles a rule's `match.ssh` into a FacetMatch over one SSH operation (facet-match.ts: allow
 * covers every value, deny and approval match any). A rule for another protocol never matches SSH;
 * an empty match matches every operation.
 *
 * One operation is one channel request that is not an exec (an interactive shell, a subsystem, a
 * forwarding), or ONE program of an exec's command line: the sidecar's shell analysis names every
 * program the line runs (pipelines, lists, substitutions, `sudo`/`bash -c`/`xargs` payloads) and
 * hands each to the policy with its own arguments, redirections and sudo. The line is decided
 * program by program and the strictest decision governs it (`strictestDecision`), as a message of
 * several SQL statements is decided statement by statement: a line is allowed only when every
 * program in it is allowed, and a program's arguments are matched together with that program, not
 * with its neighbours'. When the line cannot be read completely, every operation of it is `unknown`
 * (and still carries the programs that could be read, so deny rules for them decide).
 *
 * What an allow rule covers beyond what it lists, it must say (docs/adr/0021-ssh-command-analysis.md):
 * - request types: without `requestTypes`, an allow rule covers `exec` only (`subsystem` only when
 *   it sets `subsystems`); interactive shells and forwarding are allowed only by naming them;
 * - `writes`: a command that writes a file through a redirection (`> f`, `>> f`, `&> f`, `<> f`) is
 *   covered only when the rule's `writes` lists the file;
 * - `sudo`: a command run as another user (sudo, su, doas, pkexec, runuser) is covered only by a
 *   rule with `sudo: true`;
 * - interactive shells: covered only by a rule that names `shell` and lists nothing that may run
 *   (no programs, arguments or writes): a shell runs whatever is typed, so a list cannot cover it;
 * - file operations (an SFTP request; the `scp -t`/`scp -f` and `rsync --server` commands that
 *   `scp -O` and rsync run on the host) are covered only by a rule that sets `directions` or
 *   `paths`, and such a rule covers nothing else but the opening of a subsystem (the SFTP channel
 *   the operations travel in), so `{directions: [download], paths: [/var/log/**]}` never allows
 *   `rm -rf /` through its unset `programs`, and `programs: [scp]` never allows an upload;
 * - port forwardings (`ssh -L`, `ssh -D`: one operation per forwarded connection) are covered only
 *   by a rule that names `port-forward` and lists `destinations` that cover the destination
 *   (forward-destination.ts), and such a rule covers nothing else: `destinations` never allow an
 *   exec, and no list of programs allows a forwarding.
 * Names and text are matched on the safe side of each action (shell-glob.ts): programs as written
 * for allow (a bare pattern covers a bare name, a pattern with a `/` only a path it matches whole),
 * as written or by base name for deny and approval (`rm` catches `/bin/rm`, `/usr/bin/*` catches
 * `ls`, which could resolve there). Paths (transfer-path.ts) are names, never resolved: allow covers
 * one that climbs (`..`) or that the shell fills in only with a pattern of nothing but `**`, deny
 * and approval take a climbing path for any path.
 */
import type { PolicyRule, SSHMatch } from '@airlock/crds';
import { compileFacetMatch, constantMatch, coverageFor, type FacetConstraint, type FacetMatch } from './facet-match.ts';
import { compileDestinationPattern } from './forward-destination.ts';
import type { OperationFacts } from './operation.ts';
import { compileShellGlob, type GlobReading, SHELL_DYNAMIC, type ShellTextMatcher } from './shell-glob.ts';
import { pathClimbs } from './transfer-path.ts';

export { SHELL_DYNAMIC } from './shell-glob.ts';

/** What kind of channel request an operation is (ApprovalPolicy `match.ssh.requestTypes`). */
export type SshRequestType = NonNullable<SSHMatch['requestTypes']>[number];

/** Which way a file operation moves data: download reads from the host, upload changes it (ApprovalPolicy `match.ssh.directions`). */
export type TransferDirection = NonNullable<SSHMatch['directions']>[number];

/** The facets of one SSH operation that a `match.ssh` reads. `kinds` is `[requestType]`, plus `unknown`. */
export interface SshFacts extends OperationFacts {
  readonly requestType: SshRequestType;
  /**
   * exec: the program as written, after quote removal (`rm`, `/bin/rm`, `./deploy.sh`). Absent for
   * a command of only redirections (`> file`, `exec 3> file`) and for other requests.
   */
  readonly program?: string;
  /** exec: the arguments after the program, joined by single spaces; SHELL_DYNAMIC where the shell fills in. */
  readonly arguments?: string;
  /** exec: files the command writes through redirections, as written; /dev/null and the like are left out. */
  readonly writes: readonly string[];
  /** exec: the user sudo, su, doas, pkexec or runuser runs the program as (`root` by default); absent when none does. */
  readonly runAs?: string;
  /** subsystem: its name (`sftp`). */
  readonly subsystem?: string;
  /**
   * A file operation: the paths it touches, never empty, normalised (transfer-path.ts); SHELL_DYNAMIC
   * where the shell fills in. Its presence is what makes an operation a file operation.
   */
  readonly paths?: readonly string[];
  /** A file operation: which ways it moves data; empty for a name lookup (SFTP realpath), which moves none. */
  readonly directions?: readonly TransferDirection[];
  /** port-forward: where the forwarded connection goes, `host:port` as forward-destination.ts normalises it. */
  readonly destination?: string;
}

/** An SFTP request or an scp/rsync transfer command, as opposed to a program, a shell or a channel. */
export const isFileOperation = (op: SshFacts): boolean => op.paths !== undefined;

export type SshOperationMatch = FacetMatch<SshFacts>;
type SshConstraint = FacetConstraint<SshFacts>;

function anyOf(patterns: readonly string[], reading: GlobReading): ShellTextMatcher {
  const compiled = patterns.map((pattern) => compileShellGlob(pattern, reading));
  return (value) => compiled.some((match) => match(value));
}

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * Programs. allow: a pattern without `/` covers a bare name (found through the host's PATH), a
 * pattern with `/` covers a path it matches whole. deny and approval: the name as written or its
 * base name, and a pattern's base name catches a bare name.
 */
function programMatcher(patterns: readonly string[], lenient: boolean): ShellTextMatcher {
  if (!lenient) {
    const bare = anyOf(
      patterns.filter((pattern) => !pattern.includes('/')),
      'strict',
    );
    const paths = anyOf(
      patterns.filter((pattern) => pattern.includes('/')),
      'strict',
    );
    return (program) => (program.includes('/') ? paths(program) : bare(program));
  }
  const whole = anyOf(patterns, 'lenient');
  const bases = anyOf(patterns.filter((pattern) => pattern.includes('/')).map(baseName), 'lenient');
  return (program) => whole(program) || whole(baseName(program)) || (!program.includes('/') && bases(program));
}

const ONLY_GLOBSTARS = /^\*{2,}$/;

/**
 * Paths. A pattern ending in `/**` also covers its directory (what a recursive transfer names).
 * allow: a path with text the shell fills in, like one that climbs, only under a pattern of
 * nothing but `**` (shell-glob.ts refuses the climb itself); deny and approval: a climbing path
 * could be any path.
 */
function pathMatcher(patterns: readonly string[], lenient: boolean): ShellTextMatcher {
  const withDirectories = patterns.flatMap((pattern) =>
    pattern.endsWith('/**') && !ONLY_GLOBSTARS.test(pattern) ? [pattern, pattern.slice(0, -3) || '/'] : [pattern],
  );
  if (lenient) {
    const any = anyOf(withDirectories, 'lenient');
    return (path) => pathClimbs(path) || any(path);
  }
  const anything = patterns.some((pattern) => ONLY_GLOBSTARS.test(pattern));
  const strict = anyOf(withDirectories, 'strict');
  return (path) => (path.includes(SHELL_DYNAMIC) ? anything : strict(path));
}

/** The facets an SSH match constrains; exported for the policy tools that explain a decision. */
export function sshConstraints(ssh: SSHMatch, action: PolicyRule['action']): SshConstraint[] {
  const lenient = action !== 'allow';
  const reading: GlobReading = lenient ? 'lenient' : 'strict';
  const constraints: SshConstraint[] = [];
  const requestTypes = ssh.requestTypes?.length
    ? ssh.requestTypes
    : lenient
      ? undefined
      : ssh.subsystems?.length
        ? ['subsystem']
        : ['exec'];
  if (requestTypes !== undefined) {
    const types = new Set<string>(requestTypes);
    constraints.push({ facet: 'request type', valuesOf: (op) => [op.requestType], accepts: (type) => types.has(type) });
  }
  if (!lenient && (ssh.programs?.length || ssh.arguments?.length || ssh.writes?.length)) {
    // An interactive shell runs whatever is typed: a rule that lists what may run (programs,
    // arguments, files written) cannot cover it, even when it names `shell` among its request
    // types. Without this, a shell — which has no program to check — would pass every such list.
    constraints.push({
      facet: 'interactive shell',
      valuesOf: (op) => (op.requestType === 'shell' ? ['an interactive shell (it runs programs the rule does not list)'] : []),
      accepts: () => false,
    });
  }
  if (ssh.programs?.length) {
    constraints.push({
      facet: 'program',
      valuesOf: (op) => (op.program === undefined ? [] : [op.program]),
      accepts: programMatcher(ssh.programs, lenient),
    });
  }
  if (ssh.arguments?.length) {
    constraints.push({
      facet: 'arguments',
      valuesOf: (op) => (op.program === undefined || op.arguments === undefined ? [] : [op.arguments]),
      accepts: anyOf(ssh.arguments, reading),
    });
  }
  if (ssh.subsystems?.length) {
    constraints.push({
      facet: 'subsystem',
      valuesOf: (op) => (op.subsystem === undefined ? [] : [op.subsystem]),
      accepts: anyOf(ssh.subsystems, reading),
    });
  }
  if (ssh.writes?.length || !lenient) {
    // An allow rule without `writes` covers no write: the constraint accepts nothing.
    const writes = anyOf(ssh.writes ?? [], reading);
    constraints.push({ facet: 'write', valuesOf: (op) => op.writes, accepts: writes });
  }
  const transfers = Boolean(ssh.directions?.length || ssh.paths?.length);
  if (!lenient) {
    // Without directions or paths an allow rule covers no file operation; with them it covers only
    // file operations and subsystem opens (an SFTP channel moves nothing until its requests do).
    constraints.push({
      facet: 'file operation',
      valuesOf: (op) => {
        if (isFileOperation(op)) return transfers ? [] : ['a file transfer (the rule sets no directions or paths)'];
        return transfers && op.requestType !== 'subsystem' ? ['other than a file transfer'] : [];
      },
      accepts: () => false,
    });
  }
  if (ssh.directions?.length) {
    const directions = new Set<string>(ssh.directions);
    constraints.push({ facet: 'direction', valuesOf: (op) => op.directions ?? [], accepts: (direction) => directions.has(direction) });
  }
  if (ssh.paths?.length) {
    constraints.push({ facet: 'path', valuesOf: (op) => op.paths ?? [], accepts: pathMatcher(ssh.paths, lenient) });
  }
  if (ssh.destinations?.length || !lenient) {
    // An allow rule without destinations covers no forwarding: the constraint accepts nothing.
    const destinations = (ssh.destinations ?? []).map((pattern) => compileDestinationPattern(pattern, lenient));
    constraints.push({
      facet: 'destination',
      valuesOf: (op) => (op.destination === undefined ? [] : [op.destination]),
      accepts: (destination) => destinations.some((covers) => covers(destination)),
    });
  }
  if (!lenient && ssh.destinations?.length) {
    // Destinations say where a forwarding may connect, nothing about what may run: with them an
    // allow rule covers forwardings only, whatever else it names.
    constraints.push({
      facet: 'port forwarding',
      valuesOf: (op) => (op.requestType === 'port-forward' ? [] : ['other than a port forwarding (the rule sets destinations)']),
      accepts: () => false,
    });
  }
  if (ssh.sudo === true || !lenient) {
    // An allow rule without `sudo: true` covers no command run as another user.
    const sudo = ssh.sudo === true;
    constraints.push({ facet: 'sudo', valuesOf: (op) => (op.runAs === undefined ? [] : [op.runAs]), accepts: () => sudo });
  }
  return constraints;
}

export function compileSshMatch(rule: Pick<PolicyRule, 'match' | 'action'>): SshOperationMatch {
  const { match } = rule;
  const coverage = coverageFor(rule.action);
  const others = match.sql ?? match.http ?? match.kubernetes;
  if (match.ssh === undefined) return constantMatch(others === undefined, coverage);
  return compileFacetMatch(sshConstraints(match.ssh, rule.action), coverage);
}
