/**
 * What a recorded session is made of. Each body is one step of a proxied session, discriminated on
 * `type`. The bodies are protocol-neutral where the concept is (a statement, a decision, a result);
 * protocol specifics are plain fields that say which protocol fills them. A protocol adds its own
 * bodies to the union without touching the chain (SSH: `terminal`, `output`, `terminal.resize`,
 * `output.truncated`; HTTP and Kubernetes will add theirs): the hash chain and the verifier treat a
 * body as opaque JSON with a string `type`. Fields are only ever added, optional, so that readers
 * keep reading old recordings and old recordings keep verifying.
 *
 * Every value here must survive a JSON round trip (see canonicalJson): strings, finite numbers,
 * booleans, null, arrays and plain objects. Binary data is base64 text.
 */
import type { TargetSpec } from '@airlock/crds';

/** The target protocols that record: postgres, ssh and kubernetes. */
export type RecordedProtocol = TargetSpec['type'];

export interface RecordedPrincipal {
  /** AgentIdentity name. */
  readonly identity: string;
  readonly namespace: string;
  /** system:serviceaccount:<namespace>:<name>. */
  readonly serviceAccount: string;
  readonly pod: { readonly name: string; readonly uid: string };
  readonly groups: readonly string[];
  /** The human an OIDC-carrying agent acts for. */
  readonly onBehalfOf?: string;
  /** Issuer of the token the agent presented; absent for the pod's own identity. */
  readonly issuer?: string;
  /**
   * A sub-agent presenting a token delegated to it: how deep in the chain it is (1 for a sub-agent
   * of the agent) and the sub-agents' names from the first delegate down to this one. Absent: the
   * agent itself (depth 0).
   */
  readonly delegation?: { readonly depth: number; readonly chain: readonly string[] };
}

export interface SessionOpenEvent {
  readonly type: 'session.open';
  readonly sessionId: string;
  readonly protocol: RecordedProtocol;
  readonly target: { readonly name: string; readonly namespace: string };
  readonly principal: RecordedPrincipal;
  /** The agent's end of the listener connection, `host:port`. */
  readonly clientAddress: string;
  /**
   * PostgreSQL: the StartupMessage parameters (user, database, application_name, options...).
   * Build it with `recordableStartupParameters`, which drops anything that looks like a secret.
   */
  readonly startupParameters?: Readonly<Record<string, string>>;
}

export interface RecordedParameter {
  /** Text-format values as text, binary-format values as base64; absent when `isNull`. */
  readonly value?: string;
  readonly isNull?: boolean;
  readonly format: 'text' | 'binary';
}

export interface StatementEvent {
  readonly type: 'statement';
  /** Position of the statement in the session, from 0; the events about it carry the same index. */
  readonly statementIndex: number;
  readonly text: string;
  /** Bound parameters (PostgreSQL extended protocol). */
  readonly parameters?: readonly RecordedParameter[];
  /** PostgreSQL: Query message (`simple`) or Parse/Bind/Execute (`extended`). */
  readonly flavour?: 'simple' | 'extended';
}

export interface ClassificationEvent {
  readonly type: 'classification';
  readonly statementIndex: number;
  /** Statement kinds (read, write, ddl, ..., unknown). Strings, not the classifier's type: old recordings must still verify. */
  readonly kinds: readonly string[];
  readonly commands: readonly string[];
  readonly objects: readonly string[];
  readonly functions: readonly string[];
  readonly writesWithoutWhere: boolean;
  /** The classification came from the parse cache. */
  readonly cached: boolean;
  readonly unknownReason?: string;
}

export type DecisionAction = 'allow' | 'deny' | 'requireApproval';

export interface DecisionEvent {
  readonly type: 'decision';
  readonly statementIndex: number;
  /** What the policy said. */
  readonly action: DecisionAction;
  /** What the sidecar did: in audit mode every action is effectively `allow`. */
  readonly effective: DecisionAction;
  readonly mode: 'enforce' | 'audit';
  /** `<namespace>/<name>` of the ApprovalPolicy; absent when no policy matched (the target's default). */
  readonly policy?: string;
  /** The rule's name, or `default` for the policy's default action. */
  readonly rule?: string;
  readonly reason: string;
}

export interface ApprovalRequestedEvent {
  readonly type: 'approval.requested';
  readonly statementIndex: number;
  /** The ApprovalRequest's name and namespace. */
  readonly name: string;
  readonly namespace: string;
  /** SHA-256 (hex) of the exact operation bytes, bound parameters included. */
  readonly digest: string;
}

export interface ApprovalOutcomeEvent {
  readonly type: 'approval.outcome';
  readonly statementIndex: number;
  readonly name: string;
  readonly phase: 'Approved' | 'Denied' | 'Expired' | 'Withdrawn';
  /** Approved: the reviewers that approved; Denied: the one that denied. */
  readonly reviewers?: readonly string[];
  readonly reason?: string;
  readonly waitedSeconds: number;
}

export interface ResultEvent {
  readonly type: 'result';
  readonly statementIndex: number;
  /**
   * PostgreSQL CommandComplete tag: `SELECT 3`, `UPDATE 1`, `CREATE TABLE`. SSH: `exit 2`,
   * `signal TERM`, or `closed` when the host said neither; Kubernetes: `HTTP 200`; kept for readers older than the SSH
   * fields below, which say the same as fields.
   */
  readonly commandTag: string;
  /** Rows returned or affected, when the tag or the protocol says. */
  readonly rows?: number;
  /** SSH: the exit status the host reported. */
  readonly exitStatus?: number;
  /** SSH: the signal that ended the command, without the SIG prefix (TERM, KILL). */
  readonly signal?: string;
  readonly coreDumped?: boolean;
  /** SSH: bytes that passed on the channel, per stream, whether recorded or not. */
  readonly bytes?: Readonly<Record<OutputStream, number>>;
  /** SSH: of those, the bytes not in the recording's output events (the session's bound was reached). */
  readonly unrecordedBytes?: number;
  /** HTTP and Kubernetes: the status code the agent received (the upstream's, or the sidecar's own refusal). */
  readonly httpStatus?: number;
  /** HTTP and Kubernetes: body bytes the agent sent with the request, and body bytes it received. */
  readonly requestBytes?: number;
  readonly responseBytes?: number;
  /** HTTP and Kubernetes: the response body did not arrive whole (the agent or the upstream went away mid-body). */
  readonly incomplete?: boolean;
}

/**
 * SSH: a channel starts running what statementIndex decided (an exec, a shell). The offsets of the
 * channel's output events count from here; the record's time is when it started.
 */
export interface TerminalEvent {
  readonly type: 'terminal';
  readonly statementIndex: number;
  /** The pseudo-terminal the agent asked for; absent when it asked for none (stdout and stderr apart, no echo). */
  readonly pty?: { readonly term: string; readonly cols: number; readonly rows: number };
}

/**
 * stdout and stderr: what the host sent and the agent received. stdin: what the agent sent: on a
 * pty its keystrokes, without one what the command reads (a script piped to `sh -s` is what ran).
 */
export type OutputStream = 'stdin' | 'stdout' | 'stderr';

/** SSH: bytes that passed on a channel, several chunks of one stream coalesced into one event. */
export interface OutputEvent {
  readonly type: 'output';
  readonly statementIndex: number;
  readonly stream: OutputStream;
  /** Milliseconds from the channel's terminal event to the first of these bytes. */
  readonly offsetMs: number;
  /** Base64 of the exact bytes: a terminal's output need not be UTF-8, nor split at character boundaries. */
  readonly data: string;
}

/** SSH: the agent resized the terminal (window-change). */
export interface TerminalResizeEvent {
  readonly type: 'terminal.resize';
  readonly statementIndex: number;
  readonly offsetMs: number;
  readonly cols: number;
  readonly rows: number;
}

/**
 * SSH: the session recorded as many channel bytes as its bound allows; from here on bytes are only
 * counted (the `result` of each command says how many passed unrecorded). Once per session.
 */
export interface OutputTruncatedEvent {
  readonly type: 'output.truncated';
  readonly statementIndex: number;
  readonly offsetMs: number;
  /** The bound: bytes of output events a session holds at most. */
  readonly limitBytes: number;
}

export interface MaskingEvent {
  readonly type: 'masking';
  readonly statementIndex: number;
  /** Fields masked, by masking rule name (detector profiles use `profile:<name>`). */
  readonly maskedByRule: Readonly<Record<string, number>>;
  /** Binary-format fields nulled because they could not be masked in place. */
  readonly nulledBinary: number;
}

export interface ErrorEvent {
  readonly type: 'error';
  readonly statementIndex?: number;
  /** The sidecar's stable error code (the error class's `code`). */
  readonly code: string;
  readonly message: string;
  /** PostgreSQL: the SQLSTATE sent to the agent or received from upstream. */
  readonly sqlstate?: string;
}

export interface SessionCloseEvent {
  readonly type: 'session.close';
  /** client-terminated, client-disconnected, upstream-closed, protocol-error, shutdown, ... */
  readonly reason: string;
  /** Bytes from the agent and bytes to the agent. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Statements seen in the session. */
  readonly statements: number;
}

export type RecordedEvent =
  | SessionOpenEvent
  | StatementEvent
  | ClassificationEvent
  | DecisionEvent
  | ApprovalRequestedEvent
  | ApprovalOutcomeEvent
  | ResultEvent
  | TerminalEvent
  | OutputEvent
  | TerminalResizeEvent
  | OutputTruncatedEvent
  | MaskingEvent
  | ErrorEvent
  | SessionCloseEvent;

export type RecordedEventType = RecordedEvent['type'];

/**
 * PostgreSQL's StartupMessage carries no password (that comes in a PasswordMessage), but `options`
 * and custom GUCs are free text; anything whose name suggests a secret is dropped, not masked, so
 * that a recording never holds one.
 */
export function recordableStartupParameters(parameters: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (!SECRET_NAME.test(name)) kept[name] = value;
  }
  return kept;
}

const SECRET_NAME = /pass|secret|token|credential|key/i;
