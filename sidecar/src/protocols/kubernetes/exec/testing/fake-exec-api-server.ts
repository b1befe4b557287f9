/**
 * An HTTPS server that answers what `kubectl exec` asks of an API server, for tests of the exec
 * recording through the real sidecar with the real kubectl: a real kubelet cannot run in a unit
 * test, and a real kube-apiserver proxies exec only to one. It serves the discovery kubectl reads
 * first (/api, /apis, /api/v1), the pod kubectl looks up (Running, one container), and the exec
 * itself as the kubelet speaks it: the WebSocket handshake with `v5.channel.k8s.io` (or the best
 * channel protocol offered), then channel messages. Two commands:
 * - `cat`: what arrives on stdin goes back on stdout; when kubectl closes stdin (v5's close
 *   message) the command ends with a Success Status;
 * - `fail`: `failing` on stderr, then a Failure Status with exit code 3.
 *
 * Its frame reading is its own (a few lines, whole unfragmented frames), not the sidecar's reader.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createCertificateAuthority, issueServingCertificate } from '@airlock/testkit';
import { channelFrame, encodeFrame, exitStatusJson, OPCODE } from './websocket-encoder.ts';

export const POD_NAMESPACE = 'agents';
export const POD_NAME = 'worker-0';
export const CONTAINER = 'main';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The kubelet's preference, newest first. */
const SUPPORTED = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'base64.channel.k8s.io', 'channel.k8s.io'];

export interface ExecSeen {
  readonly method: string;
  readonly url: string;
  readonly protocols: string;
  readonly chosen: string;
  readonly authorization: string | undefined;
  /** What arrived on stdin, in order. */
  stdin: string;
}

export interface FakeExecApiServer {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly caPem: string;
  /** The exec upgrades it answered, in order. */
  readonly execs: readonly ExecSeen[];
  close(): Promise<void>;
}

export async function startFakeExecApiServer(options: { readonly token: string }): Promise<FakeExecApiServer> {
  const ca = await createCertificateAuthority('fake-exec-api-ca');
  const serving = await issueServingCertificate(ca, '127.0.0.1', { ips: ['127.0.0.1'] });
  const execs: ExecSeen[] = [];
  const sockets = new Set<Duplex>();
  const server: Server = createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => answer(req, res, options.token));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    upgrade(req, socket, head, options.token, execs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server: `https://127.0.0.1:${port}`,
    caPem: ca.certPem,
    execs,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function answer(req: IncomingMessage, res: ServerResponse, token: string): void {
  if (req.headers.authorization !== `Bearer ${token}`) {
    json(res, 401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 });
    return;
  }
  const path = (req.url ?? '').split('?')[0];
  if (path === '/api') {
    json(res, 200, {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
    });
  } else if (path === '/apis') {
    json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
  } else if (path === '/api/v1') {
    const verbs = ['get', 'list', 'watch', 'create', 'delete'];
    json(res, 200, {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs, shortNames: ['po'] },
        { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
        { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      ],
    });
  } else if (path === `/api/v1/namespaces/${POD_NAMESPACE}/pods/${POD_NAME}`) {
    json(res, 200, {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: POD_NAME, namespace: POD_NAMESPACE, uid: '0f6c1c0e-0000-4000-8000-000000000001', resourceVersion: '1' },
      spec: { containers: [{ name: CONTAINER, image: 'busybox' }] },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: CONTAINER, ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: {} } }],
      },
    });
  } else {
    json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` });
  }
}

function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, token: string, execs: ExecSeen[]): void {
  const url = new URL(req.url ?? '/', 'https://fake');
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const chosen = SUPPORTED.find((p) => offered.includes(p));
  const key = req.headers['sec-websocket-key'];
  const isExec = url.pathname === `/api/v1/namespaces/${POD_NAMESPACE}/pods/${POD_NAME}/exec`;
  if (
    req.headers.authorization !== `Bearer ${token}` ||
    !isExec ||
    String(req.headers.upgrade).toLowerCase() !== 'websocket' ||
    !chosen ||
    !key
  ) {
    // What kubectl then retries over SPDY: refuse that too, so a test sees the WebSocket path only.
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  const seen: ExecSeen = {
    method: req.method ?? '',
    url: req.url ?? '',
    protocols: offered.join(', '),
    chosen,
    authorization: req.headers.authorization,
    stdin: '',
  };
  execs.push(seen);
  const accept = createHash('sha1').update(`${key}${WEBSOCKET_GUID}`).digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${chosen}\r\n\r\n`,
  );
  const command = url.searchParams.getAll('command');
  const send = (channel: number, data: string) => socket.write(channelFrame(channel, data));
  const finish = (code: number) => {
    send(3, exitStatusJson(code));
    socket.write(encodeFrame({ opcode: OPCODE.close, payload: Buffer.from([0x03, 0xe8]) }));
    socket.end();
  };
  if (command[0] === 'fail') {
    send(2, 'failing\n');
    finish(3);
    return;
  }
  let buffered = head;
  let done = false;
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const frame = takeFrame(buffered);
      if (!frame) return;
      buffered = buffered.subarray(frame.length);
      if (done) continue;
      if (frame.opcode === OPCODE.ping) socket.write(encodeFrame({ opcode: OPCODE.pong, payload: frame.payload }));
      if (frame.opcode === OPCODE.close) {
        done = true;
        socket.end();
      }
      if (frame.opcode !== OPCODE.binary || frame.payload.length === 0) continue;
      const channel = frame.payload[0];
      const data = frame.payload.subarray(1);
      if (channel === 0) {
        seen.stdin += data.toString();
        send(1, data.toString());
      } else if (channel === 255 && data[0] === 0) {
        // v5: kubectl closed stdin, so cat ends.
        done = true;
        finish(0);
      }
    }
  };
  socket.on('data', onData);
  if (head.length > 0) onData(Buffer.alloc(0));
}

/** One whole frame at the start of `bytes` (unmasked), or undefined until it is all there. */
function takeFrame(bytes: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (bytes.length < 2) return undefined;
  const opcode = (bytes[0] ?? 0) & 0x0f;
  const masked = ((bytes[1] ?? 0) & 0x80) !== 0;
  let length = (bytes[1] ?? 0) & 0x7f;
  let at = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(bytes.readBigUInt64BE(2));
    at = 10;
  }
  const mask = masked ? bytes.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (bytes.length < at + length) return undefined;
  const payload = Buffer.from(bytes.subarray(at, at + length));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return { opcode, payload, length: at + length };
}
