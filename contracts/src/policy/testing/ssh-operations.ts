/** SSH operations as the sidecar hands them to the policy, and one rule's verdict on them, for the policy tests. */
import type { PolicyRule, SSHMatch } from '@airlock/crds';
import { compileSshMatch, type SshFacts } from '../ssh-match.ts';

/** One program of an exec command line. */
export const sshExec = (program: string | undefined, args = '', extra: Partial<SshFacts> = {}): SshFacts => ({
  text: [program, args].filter(Boolean).join(' '),
  kinds: ['exec'],
  requestType: 'exec',
  ...(program === undefined ? {} : { program, arguments: args }),
  writes: [],
  ...extra,
});

/** A channel request that is not an exec: a shell, a subsystem, a forwarding. */
export const sshRequest = (requestType: SshFacts['requestType'], extra: Partial<SshFacts> = {}): SshFacts => ({
  text: requestType,
  kinds: [requestType],
  requestType,
  writes: [],
  ...extra,
});

export const sshMatches = (action: PolicyRule['action'], ssh: SSHMatch, op: SshFacts): boolean =>
  compileSshMatch({ action, match: { ssh } }).matches(op);
export const sshAllows = (ssh: SSHMatch, op: SshFacts): boolean => sshMatches('allow', ssh, op);
export const sshDenies = (ssh: SSHMatch, op: SshFacts): boolean => sshMatches('deny', ssh, op);
