/**
 * The two clients the Kubernetes benchmark times, the same way on every path:
 * - the real kubectl, one process per invocation (what an agent experiences: process start,
 *   kubeconfig, discovery from its disk cache, one request, printing), with a discovery cache of
 *   the benchmark's own so the machine's ~/.kube stays untouched and both paths start warm;
 * - a raw GET from Node on one kept-alive connection (node:https with the CA and token for the
 *   API server, node:http for the sidecar), which separates kubectl's own cost from the path's.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface KubectlRun {
  readonly ms: number;
  /** Only when asked for (`capture`): checks read it, timed runs discard it as a terminal would not keep it. */
  readonly stdout: string;
}

/** Runs kubectl; resolves with its wall time; rejects on a non-zero exit (a benchmark of failures measures nothing). */
export async function runKubectl(
  kubectl: string,
  kubeconfig: string,
  cacheDir: string,
  args: readonly string[],
  capture = false,
): Promise<KubectlRun> {
  const started = process.hrtime.bigint();
  const child = spawn(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
    stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (code !== 0) throw new Error(`kubectl ${args.join(' ')} (${kubeconfig}) exited ${code}: ${stderr.trim()}`);
  return { ms, stdout };
}

export interface RawGet {
  readonly ms: number;
  readonly bytes: number;
  /** False for the first request of a connection; the timed ones should all reuse it. */
  readonly reusedConnection: boolean;
  readonly body: Buffer;
}

/** Where a RawListClient sends its GETs: the API server (https, CA, token) or the sidecar (plain http, no credential). */
export type RawEndpoint =
  | { readonly kind: 'https'; readonly base: string; readonly caPem: string; readonly token: string }
  | { readonly kind: 'http'; readonly base: string };

/** GETs of one path on a single kept-alive connection, timed from the request to the last body byte. */
export class RawListClient {
  readonly #endpoint: RawEndpoint;
  readonly #agent: HttpAgent | HttpsAgent;

  constructor(endpoint: RawEndpoint) {
    this.#endpoint = endpoint;
    const options = { keepAlive: true, maxSockets: 1 };
    this.#agent = endpoint.kind === 'https' ? new HttpsAgent({ ...options, ca: endpoint.caPem }) : new HttpAgent(options);
  }

  /** Rejects on a status other than 200. No Accept-Encoding: both paths answer identity-encoded JSON. */
  get(path: string): Promise<RawGet> {
    const endpoint = this.#endpoint;
    const url = new URL(path, endpoint.base);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (endpoint.kind === 'https') headers.authorization = `Bearer ${endpoint.token}`;
    const send = endpoint.kind === 'https' ? httpsRequest : httpRequest;
    return new Promise((resolveGet, reject) => {
      const started = process.hrtime.bigint();
      const request = send(url, { method: 'GET', agent: this.#agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const body = Buffer.concat(chunks);
          if (response.statusCode !== 200) {
            reject(new Error(`GET ${url} answered ${response.statusCode}: ${body.toString('utf8', 0, 500)}`));
            return;
          }
          resolveGet({ ms, bytes: body.length, reusedConnection: request.reusedSocket, body });
        });
      });
      request.on('error', reject);
      request.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
