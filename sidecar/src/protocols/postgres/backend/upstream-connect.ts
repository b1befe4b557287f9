/**
 * Opens the one upstream connection of an agent session: TCP, TLS when the target asks for it
 * (verify-full by default when TLS is on), the StartupMessage, and authentication with the
 * target's credentials — SCRAM-SHA-256, md5, cleartext or trust. Returns once the server is ready
 * for queries, with what it announced (ParameterStatus, BackendKeyData) for the agent.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import type { PostgresEndpoint } from '@airlock/crds';
import { serialize } from 'pg-protocol';
import type { PostgresCredentials } from '../../../core/ports.ts';
import { SocketFrames } from '../socket-frames.ts';
import { PINNED_SETTINGS, reportedPinBroken } from '../sql/pinned-settings.ts';
import { decodeBackend } from '../wire/backend-messages.ts';
import { type Frame, FrameDecoder } from '../wire/frame-decoder.ts';
import { md5Password, ScramError, scramContinue, scramStart, scramVerifyFinal } from './scram.ts';
import { UpstreamError } from './upstream-error.ts';

export interface UpstreamConnection {
  readonly socket: Socket;
  readonly decoder: FrameDecoder;
  /** Frames the server sent after ReadyForQuery that were already read (normally none). */
  readonly pending: Frame[];
  /** ParameterStatus and NoticeResponse frames of the startup, in order, to pass to the agent. */
  readonly announcements: Buffer[];
  readonly backendKey?: { readonly processId: number; readonly secretKey: Buffer };
  readonly transactionStatus: 'I' | 'T' | 'E';
}

export interface UpstreamOptions {
  readonly endpoint: PostgresEndpoint;
  readonly credentials: PostgresCredentials;
  /** Startup parameters from the agent that the sidecar lets through (application_name, TimeZone, ...). */
  readonly parameters: ReadonlyMap<string, string>;
  readonly connectTimeoutMs: number;
  readonly maxFrameBytes: number;
}

const errorText = (fields: Map<string, string>): string =>
  `${fields.get('M') ?? 'error'}${fields.get('C') ? ` (SQLSTATE ${fields.get('C')})` : ''}`;

/** TCP connect, then TLS if asked. Exported for CancelRequest, which needs the same transport. */
export async function openTransport(
  endpoint: PostgresEndpoint,
  credentials: Pick<PostgresCredentials, 'caBundle'>,
  timeoutMs: number,
): Promise<Socket> {
  const host = endpoint.host;
  const port = endpoint.port ?? 5432;
  const where = `${host}:${port}`;
  const raw = await new Promise<Socket>((resolve, reject) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UpstreamError('UpstreamUnreachable', `could not connect to ${where} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new UpstreamError('UpstreamUnreachable', `could not connect to ${where}: ${error.message}`, { cause: error }));
    });
  });
  raw.setNoDelay(true);
  const tls = endpoint.tls;
  const mode = tls?.mode ?? 'disable';
  if (mode === 'disable') return raw;
  raw.write(serialize.requestSsl());
  const answer = await new Promise<Buffer>((resolve, reject) => {
    raw.once('data', resolve);
    raw.once('error', reject);
    raw.once('end', () => reject(new Error('closed')));
  }).catch((error: Error) => {
    raw.destroy();
    throw new UpstreamError('UpstreamTlsFailed', `${where} closed the connection during the TLS request: ${error.message}`);
  });
  raw.removeAllListeners('error');
  raw.removeAllListeners('end');
  // Bytes after the 'S' would be unencrypted data injected before the handshake (CVE-2021-23222).
  if (answer.length !== 1 || answer[0] !== 0x53) {
    raw.destroy();
    throw new UpstreamError(
      'UpstreamTlsFailed',
      answer[0] === 0x4e
        ? `${where} does not accept TLS, but the Target requires tls.mode ${mode}`
        : `${where} answered the TLS request with unexpected bytes`,
    );
  }
  const ca = credentials.caBundle ?? tls?.caBundle;
  const servername = tls?.serverName ?? host;
  return new Promise<Socket>((resolve, reject) => {
    const secure = tlsConnect({
      socket: raw,
      ...(ca ? { ca } : {}),
      // SNI must not be an IP address; verification below still uses `servername`.
      ...(/^[\d.]+$|:/.test(servername) ? {} : { servername }),
      rejectUnauthorized: mode !== 'require',
      // verify-ca checks the chain only; verify-full also the name.
      checkServerIdentity: (_host, cert) => (mode === 'verify-full' ? checkServerIdentity(servername, cert) : undefined),
    });
    secure.once('secureConnect', () => {
      secure.removeAllListeners('error');
      secure.setNoDelay(true);
      resolve(secure);
    });
    secure.once('error', (error) => {
      secure.destroy();
      reject(new UpstreamError('UpstreamTlsFailed', `TLS with ${where} failed (tls.mode ${mode}): ${error.message}`, { cause: error }));
    });
  });
}

export async function connectUpstream(options: UpstreamOptions, signal?: AbortSignal): Promise<UpstreamConnection> {
  const { endpoint, credentials } = options;
  const socket = await openTransport(endpoint, credentials, options.connectTimeoutMs);
  const decoder = new FrameDecoder({ maxFrameBytes: options.maxFrameBytes });
  const frames = new SocketFrames(socket, decoder, `target ${endpoint.host}:${endpoint.port ?? 5432}`);
  const startup: Record<string, string> = {};
  for (const [name, value] of options.parameters) startup[name] = value;
  startup.user = credentials.username;
  startup.database = endpoint.database;
  // Last, so they win over the agent's, and as startup parameters they also win over ALTER ROLE
  // and ALTER DATABASE settings and the server's configuration; RESET returns to them.
  for (const [name, { value }] of PINNED_SETTINGS) startup[name] = value;
  const deadline = AbortSignal.timeout(options.connectTimeoutMs);
  const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
  try {
    socket.write(serialize.startup(startup));
    await authenticate(frames, socket, credentials, stop);
    const announcements: Buffer[] = [];
    let backendKey: UpstreamConnection['backendKey'];
    for (;;) {
      const message = decodeBackend(await frames.next(stop));
      switch (message.type) {
        case 'parameterStatus': {
          const broken = reportedPinBroken(message.name, message.value);
          if (broken !== undefined) {
            throw new UpstreamError(
              'UpstreamSettingUnpinned',
              `the target reports ${broken} = ${message.value} although the sidecar asked for ${PINNED_SETTINGS.get(broken)?.value}: airlock cannot classify statements for this target (is a pooler in between that ignores startup parameters?)`,
              { sqlState: '0A000' },
            );
          }
          announcements.push(message.frame.raw);
          break;
        }
        case 'noticeResponse':
          announcements.push(message.frame.raw);
          break;
        case 'backendKeyData':
          backendKey = { processId: message.processId, secretKey: message.secretKey };
          break;
        case 'errorResponse':
          throw new UpstreamError('UpstreamRefused', `the target refused the session: ${errorText(message.fields)}`, {
            sqlState: message.fields.get('C') ?? '08006',
          });
        case 'readyForQuery':
          return {
            socket,
            decoder,
            pending: frames.detach(),
            announcements,
            ...(backendKey ? { backendKey } : {}),
            transactionStatus: message.status,
          };
        default:
          throw new UpstreamError(
            'UpstreamProtocol',
            `unexpected message ${String.fromCharCode(message.frame.code)} from the target during startup`,
          );
      }
    }
  } catch (error) {
    frames.detach();
    socket.destroy();
    if (error instanceof UpstreamError) throw error;
    if (error instanceof ScramError)
      throw new UpstreamError('UpstreamAuthFailed', `SCRAM authentication with the target failed: ${error.message}`);
    if (stop.aborted)
      throw new UpstreamError('UpstreamUnreachable', `the target did not finish the startup within ${options.connectTimeoutMs} ms`);
    throw new UpstreamError('UpstreamLost', `the target closed the connection during startup: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function authenticate(frames: SocketFrames, socket: Socket, credentials: PostgresCredentials, signal: AbortSignal): Promise<void> {
  let scram: ReturnType<typeof scramStart> | undefined;
  let continuation: ReturnType<typeof scramContinue> | undefined;
  for (;;) {
    const message = decodeBackend(await frames.next(signal));
    if (message.type === 'errorResponse') {
      throw new UpstreamError('UpstreamAuthFailed', `the target refused the credentials: ${errorText(message.fields)}`, {
        sqlState: message.fields.get('C') ?? '28000',
      });
    }
    if (message.type !== 'authentication') {
      throw new UpstreamError(
        'UpstreamProtocol',
        `expected an authentication request from the target, got message ${String.fromCharCode(message.frame.code)}`,
      );
    }
    switch (message.kind) {
      case 0:
        if (scram && !continuation) throw new UpstreamError('UpstreamAuthFailed', 'the target ended SCRAM early');
        return;
      case 3:
        socket.write(serialize.password(credentials.password));
        break;
      case 5:
        socket.write(serialize.password(md5Password(credentials.username, credentials.password, message.data.subarray(0, 4))));
        break;
      case 10: {
        const mechanisms = message.data.toString('utf8').split('\0').filter(Boolean);
        if (!mechanisms.includes('SCRAM-SHA-256')) {
          throw new UpstreamError(
            'UpstreamAuthFailed',
            `the target offers SASL mechanisms [${mechanisms.join(', ')}]; the sidecar speaks SCRAM-SHA-256`,
          );
        }
        scram = scramStart();
        socket.write(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', scram.clientFirstMessage));
        break;
      }
      case 11:
        if (!scram) throw new UpstreamError('UpstreamProtocol', 'SASLContinue before SASL');
        continuation = scramContinue(scram, credentials.password, message.data.toString('utf8'));
        socket.write(serialize.sendSCRAMClientFinalMessage(continuation.clientFinalMessage));
        break;
      case 12:
        if (!continuation) throw new UpstreamError('UpstreamProtocol', 'SASLFinal before SASLContinue');
        scramVerifyFinal(continuation, message.data.toString('utf8'));
        break;
      default:
        throw new UpstreamError(
          'UpstreamAuthFailed',
          `the target asks for authentication method ${message.kind}, which the sidecar does not support (it supports SCRAM-SHA-256, md5, password, trust)`,
        );
    }
  }
}
