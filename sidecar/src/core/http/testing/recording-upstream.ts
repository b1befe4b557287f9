/**
 * A real HTTPS server standing in for an upstream (the API server), recording what reached it:
 * every TCP connection, every request (method, target, headers as sent, body) and every upgraded
 * stream. Tests assert on it that hostile input was never forwarded, that credentials were
 * replaced, that keep-alive connections were reused. Its answers are set per test.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { boundPort, listen } from '@airlock/runtime';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly string[];
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** The client certificate's CN when the server asked for one. */
  readonly clientCommonName: string | undefined;
}

export type UpstreamAnswer = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

export interface RecordingUpstream {
  readonly url: URL;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted, TLS handshakes that completed, and the bytes read from upgraded streams. */
  readonly stats: { connections: number; secureConnections: number };
  readonly upgradedBytes: Buffer[];
  /** Replace to answer differently; the default echoes what it got as JSON. */
  answer: UpstreamAnswer;
  /** Answer upgrades 403 (as the API server does for a forbidden exec) instead of 101 and an echo. */
  refuseUpgrades: boolean;
  /** The bytes of the last 101 head the server wrote. */
  lastUpgradeHead: string;
  close(): Promise<void>;
}

export async function startRecordingUpstream(options: {
  readonly certificate: { readonly certPem: string; readonly keyPem: string };
  /** Require a client certificate signed by this CA. */
  readonly clientCa?: string;
}): Promise<RecordingUpstream> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({
    cert: options.certificate.certPem,
    key: options.certificate.keyPem,
    ca: options.clientCa,
    requestCert: options.clientCa !== undefined,
    rejectUnauthorized: options.clientCa !== undefined,
  });
  const upstream: RecordingUpstream = {
    url: new URL('https://127.0.0.1'),
    requests: [],
    stats: { connections: 0, secureConnections: 0 },
    upgradedBytes: [],
    answer: echoAnswer,
    refuseUpgrades: false,
    lastUpgradeHead: '',
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
  server.on('connection', (socket: Socket) => {
    upstream.stats.connections += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', () => (upstream.stats.secureConnections += 1));
  server.on('tlsClientError', () => undefined);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      upstream.requests.push(record(request, body));
      upstream.answer(request, response, body);
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    upstream.requests.push(record(request, Buffer.alloc(0)));
    socket.on('error', () => undefined);
    const key = request.headers['sec-websocket-key'] ?? '';
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    if (upstream.refuseUpgrades) {
      const body = '{"kind":"Status","code":403,"reason":"Forbidden"}';
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    // Odd spacing and case on purpose: the agent must get these bytes exactly.
    upstream.lastUpgradeHead = `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nConnection:  Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Upstream: echo\r\n\r\n`;
    socket.write(`${upstream.lastUpgradeHead}hello-from-upstream`);
    // An echo: every byte back as it came.
    const echo = (chunk: Buffer): void => {
      upstream.upgradedBytes.push(chunk);
      socket.write(chunk);
    };
    if (head.length > 0) echo(head);
    socket.on('data', echo);
    socket.on('end', () => socket.end());
  });
  await listen(server, 0, '127.0.0.1');
  upstream.url.port = String(boundPort(server));
  return upstream;
}

function record(request: IncomingMessage, body: Buffer): RecordedRequest {
  const peer = (request.socket as TLSSocket).getPeerCertificate?.();
  const commonName = peer && typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined;
  return {
    method: request.method ?? '',
    url: request.url ?? '',
    rawHeaders: request.rawHeaders,
    headers: request.headers,
    body,
    clientCommonName: commonName,
  };
}

const echoAnswer: UpstreamAnswer = (request, response, body) => {
  const text = JSON.stringify({ method: request.method, url: request.url, bodyBytes: body.length });
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
};
