/**
 * One forwarded connection (`ssh -L`, `ssh -D`: a direct-tcpip channel open naming a host and a
 * port) as one operation of request type `port-forward`, and its decision. Pure: the destination
 * and the compiled policies in, the decision out.
 *
 * A forwarding that needs approval is refused, not held: the agent's client opened a TCP
 * connection and waits for the channel to open, and neither it nor the program behind it (a
 * database driver, curl) waits minutes for a reviewer. The recorded decision keeps what the policy
 * said (requireApproval) and what happened (deny), and the reason says how to get it allowed.
 */
import { type CompiledPolicy, type Decision, decide, forwardDestination, type SshFacts } from '@airlock/contracts/policy';
import type { CommandDecision } from '../session/command-decision.ts';

export const FORWARD_APPROVAL_REFUSAL =
  'a forwarded connection cannot wait for a reviewer, so it is refused: ask for an allow rule that names this destination (match.ssh.destinations)';

/** The operation the policy reads: `port-forward db.internal:5432`. */
export function forwardingFacts(host: string, port: number): SshFacts {
  const destination = forwardDestination(host, port);
  return { text: `port-forward ${destination}`, requestType: 'port-forward', kinds: ['port-forward'], destination, writes: [] };
}

export function decideForwarding(host: string, port: number, policies: readonly CompiledPolicy<SshFacts>[]): CommandDecision {
  const facts = forwardingFacts(host, port);
  const decided = decide(facts, policies);
  const decision: Decision =
    decided.action === 'requireApproval'
      ? { ...decided, action: 'deny', reason: `${decided.reason}; ${FORWARD_APPROVAL_REFUSAL}` }
      : decided;
  return { requestType: 'port-forward', text: facts.text, decision };
}
