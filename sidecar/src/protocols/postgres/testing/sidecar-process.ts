/**
 * The sidecar as the pod runs it: `node <flags> sidecar/src/main.ts --config FILE` in a child
 * process, in front of a real PostgreSQL, with a settings file written here (TEST_POLICY, JSONL
 * recordings in a temp dir, health on a free port). For what only a process shows: peak memory
 * under the production V8 flags, and what SIGTERM does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { freePort, type PostgresServer } from '@airlock/testkit';
import { MASKING_KEY, PRINCIPAL, TEST_POLICY } from './proxy-fixture.ts';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'main.ts');
const READY_TIMEOUT_MS = 30_000;

export interface SidecarProcessOptions {
  /** Node and V8 flags, put before main.ts exactly as the injected container's command does. */
  readonly nodeFlags: readonly string[];
  readonly policy?: ApprovalPolicySpec;
  /** The settings file's `limits` (merged over the defaults by the sidecar). */
  readonly limits?: Readonly<Record<string, number>>;
  /** The settings file's `shutdown`. */
  readonly shutdown?: Readonly<Record<string, number>>;
  /** Target spec.postgres.maxConnections. */
  readonly upstreamConnections?: number;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class SidecarProcess {
  readonly port: number;
  readonly healthPort: number;
  readonly recordingsDir: string;
  readonly exited: Promise<ExitStatus>;
  readonly #child: ChildProcess;
  readonly #dir: string;
  #log = '';

  private constructor(child: ChildProcess, dir: string, port: number, healthPort: number) {
    this.#child = child;
    this.#dir = dir;
    this.port = port;
    this.healthPort = healthPort;
    this.recordingsDir = join(dir, 'recordings');
    const keep = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(server: PostgresServer, options: SidecarProcessOptions): Promise<SidecarProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-sidecar-proc-'));
    const [port, healthPort] = [await freePort(), await freePort()];
    const settingsFile = join(dir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify(settingsDocument(server, dir, port, healthPort, options)));
    const child = spawn(process.execPath, [...options.nodeFlags, MAIN, '--config', settingsFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    const proc = new SidecarProcess(child, dir, port, healthPort);
    await proc.#ready();
    return proc;
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** The last 20 kB of its stdout and stderr, for assertion messages. */
  get log(): string {
    return this.#log;
  }

  /** The process's own peak RSS so far, from its /metrics (airlock_process_peak_rss_bytes). */
  async peakRssBytes(): Promise<number> {
    const response = await fetch(`http://127.0.0.1:${this.healthPort}/metrics`);
    const text = await response.text();
    const match = /^airlock_process_peak_rss_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
    if (!match) throw new Error(`no airlock_process_peak_rss_bytes in /metrics:\n${text.slice(0, 2000)}`);
    return Number(match[1]);
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** Stops it (SIGKILL if it is still running) and removes its files. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #ready(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    while (!this.#log.includes('airlock sidecar ready')) {
      if (exited) throw new Error(`the sidecar exited before it was ready:\n${this.#log}`);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`the sidecar was not ready within ${READY_TIMEOUT_MS} ms:\n${this.#log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function settingsDocument(server: PostgresServer, dir: string, port: number, healthPort: number, options: SidecarProcessOptions) {
  return {
    listenHost: '127.0.0.1',
    health: { host: '127.0.0.1', port: healthPort },
    logLevel: 'info',
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.shutdown ? { shutdown: options.shutdown } : {}),
    recording: { directory: join(dir, 'recordings') },
    controlPlane: {
      mode: 'static',
      static: {
        principal: PRINCIPAL,
        targets: [
          {
            apiVersion: 'airlock.dev/v1alpha1',
            kind: 'Target',
            metadata: { name: 'orders-db', namespace: PRINCIPAL.namespace },
            spec: {
              type: 'postgres',
              localPort: port,
              credentialsSecretRef: { name: 'orders-db-credentials' },
              postgres: {
                host: server.host,
                port: server.port,
                database: server.database,
                ...(options.upstreamConnections ? { maxConnections: options.upstreamConnections } : {}),
              },
              recording: { onStoreFailure: 'Block' },
            },
          },
        ],
        policies: [
          {
            apiVersion: 'airlock.dev/v1alpha1',
            kind: 'ApprovalPolicy',
            metadata: { name: 'test-policy', namespace: PRINCIPAL.namespace },
            spec: options.policy ?? TEST_POLICY,
          },
        ],
        credentials: { 'orders-db': { username: server.users.scram_user.user, password: server.users.scram_user.password } },
        maskingKeys: { 'masking-key/key': MASKING_KEY },
      },
    },
  };
}
