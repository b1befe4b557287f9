/**
 * A PgSession over in-memory sockets, for tests of the session's logic without PostgreSQL: the
 * test plays the agent on one socket and the server on the other, and reads what the session
 * recorded and asked reviewers. The services are built in one place (fakeServices), so a change
 * to PgSessionServices is one edit here.
 */
import type { Socket } from 'node:net';
import { type Duplex, duplexPair } from 'node:stream';
import { compilePolicy, compileSqlMatch } from '@airlock/contracts/policy';
import type { RecordedEvent } from '@airlock/contracts/recording';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import { ApprovalGrants } from '../../../../core/approval/grants.ts';
import type {
  AgentPrincipal,
  ApprovalDraft,
  ApprovalGate,
  ApprovalOutcome,
  PendingApproval,
  TargetConfig,
} from '../../../../core/ports.ts';
import type { SessionRecord } from '../../../../core/recording/session-record.ts';
import { NO_SESSION_METRICS } from '../../../../core/session/testing/no-metrics.ts';
import type { UpstreamConnection } from '../../backend/upstream-connect.ts';
import { CancelRegistry } from '../../cancel-registry.ts';
import { DEFAULT_PG_LIMITS, type PgLimits } from '../../limits/pg-limits.ts';
import { compileMasking } from '../../masking/compile-masking.ts';
import type { BatchClassification } from '../../sql/classification.ts';
import { SqlClassifier } from '../../sql/classifier.ts';
import { FrameDecoder } from '../../wire/frame-decoder.ts';
import { PgSession } from '../pg-session.ts';
import type { PgSessionServices } from '../services.ts';
import { backend, type WireMessage } from './pg-messages.ts';

export const FAKE_PRINCIPAL: AgentPrincipal = {
  identity: 'report-bot',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:report-bot',
  pod: { name: 'report-bot-0', uid: '00000000-0000-4000-8000-000000000001' },
  groups: ['bots'],
};

export const FAKE_TARGET: TargetConfig = {
  name: 'orders-db',
  namespace: 'agents',
  labels: {},
  spec: { type: 'postgres', localPort: 5432, postgres: { host: '127.0.0.1', port: 5432, database: 'orders' } },
};

/** Reads and writes pass, TRUNCATE never, DDL waits for db-owners, anything else is denied. */
export const FAKE_POLICY: ApprovalPolicySpec = {
  rules: [
    { name: 'no-truncate', match: { sql: { commands: ['TRUNCATE'] } }, action: 'deny', message: 'Use DELETE with a WHERE clause.' },
    { name: 'ddl', match: { sql: { statementKinds: ['ddl'] } }, action: 'requireApproval' },
    { name: 'reads-and-writes', match: { sql: { statementKinds: ['read', 'write', 'transaction', 'session'] } }, action: 'allow' },
  ],
  defaultAction: 'deny',
  approval: { approvers: { groups: ['db-owners'] }, requiredApprovals: 1, ttl: '5m' },
};

/** The hash key of masking rules with strategy hash. */
export const FAKE_MASKING_KEY = 'a-test-masking-key-of-32-bytes!!';

/** The session's record in memory: always writable, nothing to wait for. */
export class MemoryRecord implements SessionRecord {
  readonly events: RecordedEvent[] = [];
  readonly writable = true;
  closedCalls = 0;

  record(event: RecordedEvent): void {
    this.events.push(event);
  }

  whenWritable(): Promise<void> {
    return Promise.resolve();
  }

  opened(): Promise<void> {
    return Promise.resolve();
  }

  beforeForward(): Promise<void> | undefined {
    return undefined;
  }

  close(): Promise<void> {
    this.closedCalls++;
    return Promise.resolve();
  }

  ofType<T extends RecordedEvent['type']>(type: T): Extract<RecordedEvent, { type: T }>[] {
    return this.events.filter((event): event is Extract<RecordedEvent, { type: T }> => event.type === type);
  }
}

/** One request the fake gate received; the test decides it. */
export interface FakeApprovalRequest {
  readonly draft: ApprovalDraft;
  readonly name: string;
  approve(): void;
  deny(reason: string): void;
  /** Set when the session withdrew the request. */
  readonly withdrawn: string | undefined;
  readonly executions: readonly { readonly ok: boolean; readonly result: string }[];
}

/** An ApprovalGate whose requests wait until the test approves or denies them. */
export class FakeApprovalGate implements ApprovalGate {
  readonly requests: FakeApprovalRequest[] = [];
  readonly #waiting: ((request: FakeApprovalRequest) => void)[] = [];
  #taken = 0;

  request(_principal: AgentPrincipal, draft: ApprovalDraft): Promise<PendingApproval> {
    let settle!: (outcome: ApprovalOutcome) => void;
    const outcome = new Promise<ApprovalOutcome>((resolve) => {
      settle = resolve;
    });
    const executions: { ok: boolean; result: string }[] = [];
    const name = `request-${this.requests.length + 1}`;
    let withdrawn: string | undefined;
    const request: FakeApprovalRequest = {
      draft,
      name,
      approve: () => settle({ phase: 'Approved', approvers: ['alice'] }),
      deny: (reason) => settle({ phase: 'Denied', reviewer: 'alice', reason }),
      get withdrawn() {
        return withdrawn;
      },
      executions,
    };
    this.requests.push(request);
    const waiter = this.#waiting.shift();
    if (waiter) waiter(this.requests[this.#taken++]!);
    return Promise.resolve({
      name,
      namespace: FAKE_TARGET.namespace,
      outcome,
      withdraw: async (reason: string) => {
        withdrawn = reason;
        settle({ phase: 'Withdrawn', reason });
      },
      reportExecution: async (result) => {
        executions.push(result);
      },
    });
  }

  /** The next request the session makes (or the first one not yet taken). */
  nextRequest(): Promise<FakeApprovalRequest> {
    const ready = this.requests[this.#taken];
    if (ready) {
      this.#taken++;
      return Promise.resolve(ready);
    }
    return withTimeout(new Promise((resolve) => this.#waiting.push(resolve)), 'an approval request');
  }
}

export interface FakeServicesOptions {
  /** Default FAKE_POLICY; its masking rules, if any, make the session's masker. */
  readonly policy?: ApprovalPolicySpec;
  /** Default: the real SqlClassifier. */
  readonly classify?: (text: string) => BatchClassification;
  readonly maxStatementBytes?: number;
}

export interface FakeServices {
  readonly services: PgSessionServices;
  readonly record: MemoryRecord;
  readonly gate: FakeApprovalGate;
}

let classifier: Promise<SqlClassifier> | undefined;

/** Everything a PgSession gets from the sidecar, in memory; the one place the services are built. */
export async function fakeServices(options: FakeServicesOptions = {}): Promise<FakeServices> {
  classifier ??= SqlClassifier.create();
  const sql = await classifier;
  const policy = { name: 'test-policy', namespace: FAKE_TARGET.namespace, spec: options.policy ?? FAKE_POLICY };
  const rules = policy.spec.masking?.rules ?? [];
  const masking = rules.length > 0 ? compileMasking({ sets: [{ policyName: policy.name, rules, hashKey: FAKE_MASKING_KEY }] }) : undefined;
  if (masking && masking.errors.length > 0) throw new Error(`masking rules do not compile: ${JSON.stringify(masking.errors)}`);
  const record = new MemoryRecord();
  const gate = new FakeApprovalGate();
  const clock = Date.now;
  const services: PgSessionServices = {
    sessionId: 'session-1',
    target: FAKE_TARGET,
    principal: FAKE_PRINCIPAL,
    policies: [compilePolicy(policy, compileSqlMatch)],
    classify: options.classify ?? ((text) => sql.classify(text)),
    ...(masking ? { masker: masking.masker } : {}),
    gate,
    windowGrants: new ApprovalGrants(clock),
    cancels: new CancelRegistry(),
    record,
    metrics: NO_SESSION_METRICS,
    logger: createLogger({ level: 'silent' }),
    limits: { maxStatementBytes: options.maxStatementBytes ?? DEFAULT_PG_LIMITS.maxStatementBytes },
    clock,
  };
  return { services, record, gate };
}

const WAIT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Lets the streams and the session's pump run until nothing more happens on its own. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The test's end of one socket: what it writes the session reads, and every message the session writes is kept, in order. */
export class PeerEnd {
  readonly #socket: Duplex;
  #pending = Buffer.alloc(0);
  readonly #messages: WireMessage[] = [];
  #read = 0;
  readonly #changed = new Set<() => void>();
  #ended = false;

  constructor(socket: Duplex) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      while (this.#pending.length >= 5) {
        const total = 1 + this.#pending.readInt32BE(1);
        if (this.#pending.length < total) break;
        const raw = this.#pending.subarray(0, total);
        this.#messages.push({ type: String.fromCharCode(raw[0]!), body: raw.subarray(5), raw });
        this.#pending = this.#pending.subarray(total);
      }
      this.#notify();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on('error', () => undefined);
  }

  write(...messages: Buffer[]): void {
    this.#socket.write(Buffer.concat(messages));
  }

  end(): void {
    this.#socket.end();
  }

  /** Every message received so far. */
  get messages(): readonly WireMessage[] {
    return this.#messages;
  }

  /** The session ended this side of the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Messages received and not yet taken. */
  take(): WireMessage[] {
    const out = this.#messages.slice(this.#read);
    this.#read = this.#messages.length;
    return out;
  }

  /** Waits until `count` messages not yet taken arrived, and takes them. */
  async next(count: number): Promise<WireMessage[]> {
    await this.#until(() => this.#messages.length - this.#read >= count, `${count} messages`);
    const out = this.#messages.slice(this.#read, this.#read + count);
    this.#read += count;
    return out;
  }

  /** Waits for a message of this type (not yet taken), and takes it and everything before it. */
  async nextOfType(type: string): Promise<WireMessage[]> {
    const index = (): number => this.#messages.findIndex((m, i) => i >= this.#read && m.type === type);
    await this.#until(() => index() !== -1, `a ${type} message`);
    const end = index() + 1;
    const out = this.#messages.slice(this.#read, end);
    this.#read = end;
    return out;
  }

  /** Waits until the session ends this side. */
  async whenEnded(): Promise<void> {
    await this.#until(() => this.#ended, 'the end of the stream');
  }

  #until(done: () => boolean, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    let check!: () => void;
    const reached = new Promise<void>((resolve) => {
      check = () => {
        if (!done()) return;
        this.#changed.delete(check);
        resolve();
      };
      this.#changed.add(check);
    });
    return withTimeout(reached, what).finally(() => this.#changed.delete(check));
  }

  #notify(): void {
    for (const check of [...this.#changed]) check();
  }
}

export interface FakeSessionOptions extends FakeServicesOptions {
  readonly limits?: Partial<PgLimits>;
}

export interface FakeSession extends FakeServices {
  readonly session: PgSession;
  /** The test as the agent. */
  readonly agent: PeerEnd;
  /** The test as the server. */
  readonly upstream: PeerEnd;
  /** Ends the agent's connection and waits for the session to close. */
  close(): Promise<void>;
}

/**
 * A started session past authentication (the agent's greeting up to ReadyForQuery is already
 * taken), the way listener.ts starts one once the upstream is connected.
 */
export async function startFakeSession(options: FakeSessionOptions = {}): Promise<FakeSession> {
  const fake = await fakeServices(options);
  const limits: PgLimits = { ...DEFAULT_PG_LIMITS, ...options.limits };
  // allowHalfOpen false: like a TCP socket, a side whose peer ended ends too, so both sides close.
  const [agentSocket, agentPeer] = duplexPair({ allowHalfOpen: false });
  const [upstreamSocket, upstreamPeer] = duplexPair({ allowHalfOpen: false });
  const agent = new PeerEnd(agentPeer);
  const upstream = new PeerEnd(upstreamPeer);
  const connection: UpstreamConnection = {
    socket: upstreamSocket as unknown as Socket,
    decoder: new FrameDecoder({ maxFrameBytes: limits.maxFrameBytes }),
    pending: [],
    announcements: [backend.parameterStatus('client_encoding', 'UTF8'), backend.parameterStatus('standard_conforming_strings', 'on')],
    backendKey: { processId: 4242, secretKey: Buffer.from([1, 2, 3, 4]) },
    transactionStatus: 'I',
  };
  const session = new PgSession(
    agentSocket as unknown as Socket,
    new FrameDecoder({ maxFrameBytes: limits.maxFrameBytes }),
    connection,
    fake.services,
    limits,
  );
  session.start([], []);
  await agent.nextOfType('Z');
  return {
    ...fake,
    session,
    agent,
    upstream,
    close: async () => {
      agent.end();
      await withTimeout(session.closed, 'the session to close');
    },
  };
}
