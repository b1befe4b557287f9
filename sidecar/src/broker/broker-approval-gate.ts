/**
 * Approvals through the broker. request() asks the broker to create the ApprovalRequest (a random
 * idempotency key makes the retried POST safe). The operator fills in the requester itself: the
 * pod, or, for a session opened with the agent's own token, the identity that token maps to, which
 * it verifies again; so the token the principal came from is sent, never the principal's fields.
 * The outcome comes from the broker's stream, pushed when the request is decided; a stream that
 * ends or breaks is re-opened (its first line is always the current state) until an outcome
 * arrives or the request is past its expiry and the broker still cannot be reached.
 */
import { randomUUID } from 'node:crypto';
import {
  BROKER_PATHS,
  type CreateApprovalRequest,
  type CreateApprovalResponse,
  type ExecutionReport,
  type WithdrawRequest,
} from '@airlock/contracts/broker';
import { type Backoff, backoffDelay, DEFAULT_BACKOFF, pause } from '@airlock/runtime';
import type { Logger } from 'pino';
import type { AgentPrincipal, ApprovalDraft, ApprovalGate, ApprovalOutcome, PendingApproval } from '../core/ports.ts';
import type { PresentedTokens } from './agent-tokens.ts';
import type { BrokerClient } from './broker-client.ts';
import { BrokerError } from './errors.ts';

export interface BrokerApprovalGateOptions {
  readonly logger: Logger;
  /** Which token a session's principal came from (the authenticator fills it); without it every request is the pod's. */
  readonly tokens?: PresentedTokens;
  readonly backoff?: Backoff;
  readonly clock?: () => number;
  /** How long past the request's expiry the outcome keeps waiting for an unreachable broker (default 60 s). */
  readonly expiryGraceMs?: number;
}

export class BrokerApprovalGate implements ApprovalGate {
  readonly #client: BrokerClient;
  readonly #options: BrokerApprovalGateOptions;
  readonly #open = new Set<BrokerPendingApproval>();

  constructor(client: BrokerClient, options: BrokerApprovalGateOptions) {
    this.#client = client;
    this.#options = options;
  }

  async request(principal: AgentPrincipal, draft: ApprovalDraft): Promise<PendingApproval> {
    const agentToken = this.#options.tokens?.tokenOf(principal);
    const body: CreateApprovalRequest = { idempotencyKey: randomUUID(), draft, ...(agentToken === undefined ? {} : { agentToken }) };
    const created = await this.#client.call<CreateApprovalResponse>('POST', BROKER_PATHS.approvals, body, { idempotent: true });
    if (typeof created?.name !== 'string' || typeof created.namespace !== 'string') {
      throw new BrokerError('BadResponse', 'the broker did not name the ApprovalRequest it created');
    }
    const clock = this.#options.clock ?? Date.now;
    const pending = new BrokerPendingApproval(this.#client, {
      ...this.#options,
      name: created.name,
      namespace: created.namespace,
      giveUpAt: clock() + draft.ttlSeconds * 1000 + (this.#options.expiryGraceMs ?? 60_000),
      clock,
      done: () => this.#open.delete(pending),
    });
    this.#open.add(pending);
    return pending;
  }

  /** Stops waiting for every open request (the sidecar is stopping); their outcomes settle Withdrawn. */
  close(): void {
    for (const pending of this.#open) pending.settle({ phase: 'Withdrawn', reason: 'the sidecar is shutting down' });
  }
}

interface PendingOptions extends BrokerApprovalGateOptions {
  readonly name: string;
  readonly namespace: string;
  readonly giveUpAt: number;
  readonly clock: () => number;
  readonly done: () => void;
}

class BrokerPendingApproval implements PendingApproval {
  readonly name: string;
  readonly namespace: string;
  readonly outcome: Promise<ApprovalOutcome>;
  readonly #client: BrokerClient;
  readonly #options: PendingOptions;
  readonly #stop = new AbortController();
  #resolve!: (outcome: ApprovalOutcome) => void;
  #reject!: (error: Error) => void;
  #settled = false;

  constructor(client: BrokerClient, options: PendingOptions) {
    this.#client = client;
    this.#options = options;
    this.name = options.name;
    this.namespace = options.namespace;
    this.outcome = new Promise<ApprovalOutcome>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // held-command always attaches a handler; this keeps an early rejection from being reported as unhandled.
    this.outcome.catch(() => undefined);
    void this.#watch();
  }

  settle(outcome: ApprovalOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#stop.abort();
    this.#options.done();
    this.#resolve(outcome);
  }

  async withdraw(reason: string): Promise<void> {
    // Settle first: a cancelled statement must not wait for the broker.
    this.settle({ phase: 'Withdrawn', reason });
    const body: WithdrawRequest = { reason };
    await this.#client.call('POST', BROKER_PATHS.withdraw(this.name), body, { idempotent: true });
  }

  async reportExecution(result: { readonly ok: boolean; readonly result: string }): Promise<void> {
    const body: ExecutionReport = { ok: result.ok, result: result.result };
    await this.#client.call('POST', BROKER_PATHS.execution(this.name), body, { idempotent: true });
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#stop.abort();
    this.#options.done();
    this.#reject(error);
  }

  async #watch(): Promise<void> {
    const signal = this.#stop.signal;
    const backoff = this.#options.backoff ?? DEFAULT_BACKOFF;
    let failures = 0;
    while (!this.#settled) {
      let heard = false;
      try {
        await this.#client.stream(
          BROKER_PATHS.outcome(this.name),
          (line) => {
            heard = true;
            const outcome = outcomeOf(line);
            if (outcome) this.settle(outcome);
          },
          signal,
        );
      } catch (error) {
        const brokerError =
          error instanceof BrokerError ? error : new BrokerError('Unreachable', (error as Error).message, { cause: error });
        if (!brokerError.retryable) {
          this.#fail(brokerError);
          return;
        }
        this.#options.logger.warn(
          { approvalRequest: this.name, code: brokerError.code, message: brokerError.message },
          'outcome stream failed; re-opening',
        );
      }
      if (this.#settled) return;
      if (this.#options.clock() > this.#options.giveUpAt) {
        this.#fail(new BrokerError('Unreachable', `no outcome for ApprovalRequest ${this.name} from the broker before it expired`));
        return;
      }
      failures = heard ? 0 : failures + 1;
      if (failures > 0) await pause(backoffDelay(backoff, failures), signal);
    }
  }
}

function outcomeOf(line: unknown): ApprovalOutcome | undefined {
  if (typeof line !== 'object' || line === null || (line as { type?: unknown }).type !== 'outcome') return undefined;
  const outcome = (line as { outcome?: unknown }).outcome;
  if (typeof outcome !== 'object' || outcome === null) throw new BrokerError('BadResponse', 'an outcome line without an outcome');
  const value = outcome as Record<string, unknown>;
  switch (value.phase) {
    case 'Approved':
      if (!Array.isArray(value.approvers) || !value.approvers.every((a) => typeof a === 'string')) break;
      return { phase: 'Approved', approvers: value.approvers };
    case 'Denied':
      return { phase: 'Denied', reviewer: String(value.reviewer ?? ''), reason: String(value.reason ?? '') };
    case 'Expired':
      return { phase: 'Expired' };
    case 'Withdrawn':
      return { phase: 'Withdrawn', reason: String(value.reason ?? '') };
  }
  throw new BrokerError('BadResponse', `an outcome line with phase ${JSON.stringify(value.phase)}`);
}
