/**
 * Ends an agent's channel with the sidecar's own answer: the lines on stderr, then the exit status,
 * then EOF and close. The status waits for the lines: ssh2 sends it at once, while the lines may
 * wait for the agent's window.
 */
import type { ServerChannel } from 'ssh2';
import { agentLines } from './agent-messages.ts';

export function tell(agent: ServerChannel, sentences: readonly string[], terminal: boolean, done?: () => void): void {
  if (sentences.length === 0) {
    done?.();
    return;
  }
  agent.stderr.write(agentLines(sentences, terminal), () => done?.());
}

export function answer(agent: ServerChannel, sentences: readonly string[], status: number, terminal: boolean): void {
  tell(agent, sentences, terminal, () => {
    agent.exit(status);
    agent.end();
  });
}
