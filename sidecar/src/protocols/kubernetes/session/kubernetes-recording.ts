/**
 * What one agent connection to a Kubernetes listener writes to its recording. One TCP connection
 * is one recorded session (kubectl keeps one open for a command's requests); each request is one
 * operation of it, read as the neutral events name them:
 * - `statement`: the request's operation text (operation-text.ts: kubectl terms, request line,
 *   body digest, and the body of a change);
 * - `classification`: kinds read / write / unknown, `commands` the verb, `objects` the resource
 *   (`deployments.apps/orders` in `prod-eu`), `unknownReason` why the request could not be placed;
 * - `decision`, `approval.requested`, `approval.outcome`: as for SQL and SSH;
 * - `masking`: values masked in the answer, by rule;
 * - `result`: `HTTP <status>` with the status, the body sizes, and whether the answer arrived whole;
 * - for an exec or attach the API server upgraded, `terminal`, `output`, `terminal.resize`,
 *   `output.truncated` as for SSH, and a result with the exit status (`exit <n>`), the bytes per
 *   stream and `httpStatus` 101 (exec/exec-recording.ts), within the session's bound;
 * - `error`: why the request could not be answered (no credentials, the API server unreachable).
 */
import type { Decision, KubernetesFacts } from '@airlock/contracts/policy';
import { RecordingBudget } from '../../../core/recording/recording-budget.ts';
import { SessionLedger, type SessionLedgerServices } from '../../../core/session/session-ledger.ts';
import type { SessionMetrics } from '../../../core/session/session-metrics.ts';
import { ExecRecording, type ExecRecordingDeps, type ExecStream, type TunnelTraffic } from '../exec/exec-recording.ts';

export interface KubernetesRecordingServices extends SessionLedgerServices {
  readonly metrics: Pick<SessionMetrics, 'bytes' | 'statement' | 'error'>;
  /** The Target's namespace: decisions name policies as <namespace>/<name>. */
  readonly targetNamespace: string;
  /** Bytes of exec and attach streams a session records at most (default 64 MiB, as for SSH). */
  readonly maxRecordedBytes?: number;
}

/** Over the exec recording's defaults (batching, the clock, the message bound); tests make them small. */
export type ExecRecordingOptions = Partial<Pick<ExecRecordingDeps, 'batch' | 'now' | 'maxMessageBytes'>>;

export const DEFAULT_MAX_RECORDED_BYTES = 64 * 1024 * 1024;

export interface RequestOutcome {
  readonly httpStatus: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly complete: boolean;
}

export class KubernetesRecording extends SessionLedger {
  readonly #services: KubernetesRecordingServices;
  readonly #execOptions: ExecRecordingOptions;
  /** One bound for all the exec streams of the connection (kubectl opens one per exec; client libraries may reuse it). */
  readonly #budget: RecordingBudget;

  constructor(services: KubernetesRecordingServices, execOptions: ExecRecordingOptions = {}) {
    super(services);
    this.#services = services;
    this.#execOptions = execOptions;
    this.#budget = new RecordingBudget(services.maxRecordedBytes ?? DEFAULT_MAX_RECORDED_BYTES);
  }

  decided(statementIndex: number, text: string, facts: KubernetesFacts, decision: Decision): void {
    this.record({ type: 'statement', statementIndex, text });
    this.record({
      type: 'classification',
      statementIndex,
      kinds: [...facts.kinds],
      commands: facts.verb === undefined ? [] : [facts.verb],
      objects: objectsOf(facts),
      functions: [],
      writesWithoutWhere: false,
      cached: false,
      ...(facts.unknownReason ? { unknownReason: facts.unknownReason } : {}),
    });
    this.recordDecision(statementIndex, decision, this.#services.targetNamespace);
  }

  masked(statementIndex: number, counts: Readonly<Record<string, number>>): void {
    if (Object.keys(counts).length === 0) return;
    this.record({ type: 'masking', statementIndex, maskedByRule: counts, nulledBinary: 0 });
  }

  answered(statementIndex: number, outcome: RequestOutcome): void {
    this.bytesIn(outcome.requestBytes);
    this.bytesOut(outcome.responseBytes);
    this.record({
      type: 'result',
      statementIndex,
      commandTag: `HTTP ${outcome.httpStatus}`,
      httpStatus: outcome.httpStatus,
      requestBytes: outcome.requestBytes,
      responseBytes: outcome.responseBytes,
      ...(outcome.complete ? {} : { incomplete: true }),
    });
  }

  /** Starts recording the stream of an exec or attach the API server upgraded; its taps go to tunnel(). */
  execStream(statementIndex: number, stream: ExecStream): ExecRecording {
    return new ExecRecording(statementIndex, stream, { ...this.#execOptions, record: (event) => this.record(event), budget: this.#budget });
  }

  /**
   * An upgrade that tunnelled ended: the session counts its bytes, and its result is the exec
   * stream's (exit status, bytes per stream, `httpStatus` 101) or, for a port-forward or a proxy,
   * `HTTP 101` with the tunnel's byte counts.
   */
  tunnelled(statementIndex: number, traffic: TunnelTraffic, stream: ExecRecording | undefined): void {
    if (stream === undefined) {
      this.answered(statementIndex, {
        httpStatus: 101,
        requestBytes: traffic.bytesFromAgent,
        responseBytes: traffic.bytesToAgent,
        complete: true,
      });
      return;
    }
    this.bytesIn(traffic.bytesFromAgent);
    this.bytesOut(traffic.bytesToAgent);
    stream.ended(traffic);
  }

  failed(statementIndex: number | undefined, code: string, message: string): void {
    this.#services.metrics.error(code);
    this.record({ type: 'error', ...(statementIndex === undefined ? {} : { statementIndex }), code, message });
  }
}

/** `deployments.apps/orders -n prod-eu`, `pods -A`, `nodes`; a non-resource request's path. */
function objectsOf(facts: KubernetesFacts): string[] {
  if (!facts.isResourceRequest) return facts.nonResourcePath === undefined ? [] : [facts.nonResourcePath];
  const resource = `${facts.resource}${facts.apiGroup ? `.${facts.apiGroup}` : ''}${facts.subresource ? `/${facts.subresource}` : ''}`;
  const named = facts.name ? `${resource}/${facts.name}` : resource;
  const where = facts.namespace ? ` -n ${facts.namespace}` : facts.scope === 'all-namespaces' ? ' -A' : '';
  return [`${named}${where}`];
}
