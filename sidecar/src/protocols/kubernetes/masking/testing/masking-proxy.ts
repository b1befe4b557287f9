/**
 * A minimal masking proxy in front of a real API server, so tests can run the real kubectl
 * against masked answers and see that it still decodes and prints them. It is not the sidecar's
 * Kubernetes protocol (no policy, no recording): requests are forwarded with the test user's
 * token; answers are masked with responseMaskingFor exactly as the protocol does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { parseKubernetesRequest, splitRequestTarget } from '@airlock/contracts/kubernetes';
import type { CompiledRule } from '@airlock/contracts/masking';
import { stringify } from 'yaml';
import { responseMaskingFor } from '../response-masking.ts';

export interface MaskingProxy {
  readonly url: string;
  kubeconfig(): string;
  close(): Promise<void>;
}

export async function startMaskingProxy(
  upstream: { server: string; caPem: string; token: string },
  rules?: readonly CompiledRule[],
): Promise<MaskingProxy> {
  const agent = new Agent({ ca: upstream.caPem, keepAlive: true });
  const target = new URL(upstream.server);
  const server: Server = createServer((incoming, response) => {
    forward(incoming, response).catch((error: Error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`masking proxy: ${error.message}`);
    });
  });

  async function forward(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = incoming.url ?? '/';
    const info = parseKubernetesRequest({ method: incoming.method ?? 'GET', ...splitRequestTarget(url) });
    const masking = responseMaskingFor({ ...(info.kind === 'resource' ? { resource: info } : {}), ...(rules ? { rules } : {}) });
    const headers = { ...incoming.headers, host: target.host, authorization: `Bearer ${upstream.token}` };
    delete headers['accept-encoding'];
    if (masking) headers.accept = masking.accept(incoming.headers.accept);
    const answer = await new Promise<IncomingMessage>((resolve, reject) => {
      const out = httpsRequest(
        { agent, hostname: target.hostname, port: target.port, method: incoming.method, path: url, headers },
        resolve,
      );
      out.on('error', reject);
      incoming.pipe(out);
    });
    const { 'content-length': _length, 'transfer-encoding': _encoding, ...answerHeaders } = answer.headers;
    if (!masking) {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      await pipeline(answer, response);
    } else if (info.kind === 'resource' && info.verb === 'watch') {
      response.writeHead(answer.statusCode ?? 502, answerHeaders);
      await pipeline(answer, masking.watchTransform(), response);
    } else {
      const chunks: Buffer[] = [];
      for await (const chunk of answer) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const masked = body.length === 0 ? body : masking.maskBody(body, answer.headers['content-type']).body;
      response.writeHead(answer.statusCode ?? 502, { ...answerHeaders, 'content-length': masked.length });
      response.end(masked);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    kubeconfig: () =>
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'masked', cluster: { server: url } }],
        users: [{ name: 'agent', user: {} }],
        contexts: [{ name: 'masked', context: { cluster: 'masked', user: 'agent' } }],
        'current-context': 'masked',
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
