/**
 * Talking to the test's kube-apiserver directly (not through the sidecar), as the test's admin:
 * creating fixtures in bulk faster than kubectl would, and reading the audit log up to a known
 * point. The audit log is how a test shows that a refused request never reached the API server:
 * each test request carries a User-Agent of its own, and absence is only checked once a later
 * request (`syncAudit`) is in the log, so a missing event means "never sent", not "not written yet".
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:https';
import { type AuditEvent, type ControlPlane, eventually } from '@airlock/testkit';

export interface DirectAnswer {
  readonly statusCode: number;
  readonly body: string;
}

export class DirectApi {
  readonly #plane: ControlPlane;
  readonly #agent: Agent;

  constructor(plane: ControlPlane) {
    this.#plane = plane;
    this.#agent = new Agent({ ca: plane.caPem, keepAlive: true, maxSockets: 16 });
  }

  send(method: string, path: string, options: { body?: unknown; userAgent?: string } = {}): Promise<DirectAnswer> {
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.#plane.server),
        {
          method,
          agent: this.#agent,
          headers: {
            authorization: `Bearer ${this.#plane.token('admin')}`,
            accept: 'application/json',
            'user-agent': options.userAgent ?? 'airlock-test-direct',
            ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Creates `objects` (POSTed to `collectionPath`), `parallel` at a time; throws on the first refusal. */
  async createAll(collectionPath: string, objects: readonly unknown[], parallel = 16): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < objects.length) {
        const object = objects[next++];
        const answer = await this.send('POST', collectionPath, { body: object });
        if (answer.statusCode !== 201)
          throw new Error(`creating in ${collectionPath}: HTTP ${answer.statusCode}: ${answer.body.slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  /** The audit log up to now: a request sent after everything before it is in the log once this returns. */
  async syncAudit(): Promise<AuditEvent[]> {
    const marker = `airlock-test-audit-sync/${randomUUID()}`;
    await this.send('GET', '/version', { userAgent: marker });
    return eventually('the audit-sync request in the audit log', () => {
      const events = this.#plane.auditEvents();
      return events.some((event) => event.userAgent === marker) ? events : undefined;
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The audit events of requests sent with this User-Agent (ResponseComplete only: one per request). */
export function requestsBy(events: readonly AuditEvent[], userAgent: string): AuditEvent[] {
  return events.filter((event) => event.userAgent === userAgent && event.stage === 'ResponseComplete');
}
