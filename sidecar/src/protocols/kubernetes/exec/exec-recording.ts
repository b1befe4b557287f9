/**
 * Records the stream of one upgraded exec or attach as SSH records a channel
 * (docs/adr/0023-ssh-terminal-recording.md), so that `kubectl approve replay` shows what the
 * command printed and what the agent typed:
 * - `terminal` when the stream starts, with a pty when the request asked for one (`tty=true`); its
 *   size is the first resize kubectl sends, when that comes before any output (kubectl sends it
 *   first), else unknown (0x0);
 * - `output` for stdin (channel 0 from the agent), stdout (1) and stderr (2), coalesced
 *   within the session's bound, as SSH's are (core/recording/terminal-output.ts);
 * - `terminal.resize` for later resizes (channel 4);
 * - at the end the `result`: `exit <n>` and `exitStatus` from the error channel's Status (0 for
 *   Success), or `closed` when it said no exit status, with the bytes per stream, the bytes not in
 *   output events, and the connection's `HTTP 101` status and tunnel byte counts.
 *
 * The tunnel's taps feed it a copy of every chunk both ways (core/http/upgrade-tunnel.ts); it never
 * changes, delays or refuses a byte. It reads WebSocket frames (websocket-frames.ts) of the channel
 * protocols (channel-protocol.ts). A stream in SPDY/3.1 or an unknown subprotocol is not decoded:
 * it records no `terminal` and no `output`, only a result `HTTP 101` whose `unrecordedBytes` are all
 * of the tunnel's bytes — that is how a recording says "this exec ran and was not recorded". So is a
 * WebSocket stream's rest once a frame breaks RFC 6455: its bytes count as unrecorded.
 *
 * Recording Block (docs/adr/0012) for bytes that already flow: the decision and approval were stored
 * before the upgrade went upstream; the output events go to the recorder without waiting, since a
 * tap cannot hold the tunnel back (SSH's checkpoints need a pipe that can wait).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { OutputStream, RecordedEvent } from '@airlock/contracts/recording';
import type { TunnelTaps } from '../../../core/http/upgrade-tunnel.ts';
import type { BatchLimits } from '../../../core/recording/output-batcher.ts';
import type { RecordingBudget } from '../../../core/recording/recording-budget.ts';
import { TerminalOutput } from '../../../core/recording/terminal-output.ts';
import { execExit, type TerminalSize, terminalSize } from './channel-payloads.ts';
import {
  type ChannelProtocol,
  channelMessage,
  channelProtocolOf,
  ERROR,
  oversizedChannel,
  oversizedDataBytes,
  RESIZE,
  STDERR,
  STDIN,
  STDOUT,
} from './channel-protocol.ts';
import { WebSocketFrameReader, type WebSocketMessage } from './websocket-frames.ts';

export interface ExecStream {
  /** The request's query: `tty=true` asks for a pty. */
  readonly query: string;
  /** The API server's 101 answer: its Upgrade and Sec-WebSocket-Protocol say what the stream speaks. */
  readonly responseHeaders: IncomingHttpHeaders;
}

export interface ExecRecordingDeps {
  /** Records one event of the session (nothing after session.close). */
  readonly record: (event: RecordedEvent) => void;
  /** The session's recording budget. */
  readonly budget: RecordingBudget;
  /** Monotonic milliseconds (performance.now by default): offsets must not jump with the wall clock. */
  readonly now?: () => number;
  readonly batch?: BatchLimits;
  /** Largest WebSocket message decoded for the recording (default 1 MiB); larger ones are counted, not recorded. */
  readonly maxMessageBytes?: number;
}

/** The tunnel's byte counts when it ended. */
export interface TunnelTraffic {
  readonly bytesFromAgent: number;
  readonly bytesToAgent: number;
}

/** kubectl sends stdin in messages of at most 32 KiB and the kubelet output likewise: 1 MiB leaves room and bounds memory. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** A Status is a few hundred bytes; what is beyond this is not read. */
const MAX_ERROR_CHANNEL_BYTES = 64 * 1024;

type Side = 'agent' | 'upstream';
type Channels = Extract<ChannelProtocol, { kind: 'channels' }>;

export class ExecRecording {
  readonly statementIndex: number;
  /** For tunnel(): every chunk both ways, unchanged. */
  readonly taps: TunnelTaps;
  readonly #deps: ExecRecordingDeps;
  readonly #protocol: ChannelProtocol;
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #readers: Readonly<Record<Side, WebSocketFrameReader>>;
  readonly #errorChannel: Buffer[] = [];
  #errorBytes = 0;
  /** Made when the `terminal` event is recorded: offsets count from there. */
  #terminal: TerminalOutput | undefined;
  #ended = false;

  constructor(statementIndex: number, stream: ExecStream, deps: ExecRecordingDeps) {
    this.statementIndex = statementIndex;
    this.#deps = deps;
    this.#protocol = channelProtocolOf(stream.responseHeaders);
    this.#tty = isTrue(new URLSearchParams(stream.query).get('tty'));
    this.#now = deps.now ?? (() => performance.now());
    const maxMessageBytes = deps.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#readers = { agent: new WebSocketFrameReader({ maxMessageBytes }), upstream: new WebSocketFrameReader({ maxMessageBytes }) };
    this.taps = { fromAgent: (chunk) => this.#read('agent', chunk), toAgent: (chunk) => this.#read('upstream', chunk) };
    // Without a pty there is no size to wait for: the stream starts now.
    if (this.#protocol.kind === 'channels' && !this.#tty) this.#begin(undefined);
  }

  /** The tunnel ended: what is batched is recorded, then the result. Once. */
  ended(traffic: TunnelTraffic): void {
    if (this.#ended) return;
    this.#ended = true;
    const base = {
      type: 'result' as const,
      statementIndex: this.statementIndex,
      httpStatus: 101,
      requestBytes: traffic.bytesFromAgent,
      responseBytes: traffic.bytesToAgent,
    };
    const protocol = this.#protocol;
    if (protocol.kind === 'unrecorded') {
      this.#deps.record({ ...base, commandTag: 'HTTP 101', unrecordedBytes: traffic.bytesFromAgent + traffic.bytesToAgent });
      return;
    }
    const passed = this.#begin(undefined).end();
    const undecoded = this.#readers.agent.undecodedBytes + this.#readers.upstream.undecodedBytes;
    const { exitStatus } = execExit(Buffer.concat(this.#errorChannel), protocol.statusErrors);
    this.#deps.record({
      ...base,
      commandTag: exitStatus === undefined ? 'closed' : `exit ${exitStatus}`,
      ...(exitStatus === undefined ? {} : { exitStatus }),
      bytes: passed.bytes,
      unrecordedBytes: passed.unrecordedBytes + undecoded,
    });
  }

  #read(side: Side, chunk: Buffer): void {
    const protocol = this.#protocol;
    if (this.#ended || protocol.kind !== 'channels') return;
    for (const message of this.#readers[side].push(chunk)) this.#message(protocol, side, message);
    this.#terminal?.schedule();
  }

  #message(protocol: Channels, side: Side, message: WebSocketMessage): void {
    if (message.type === 'control') return;
    if (message.type === 'oversized') {
      const stream = streamOf(side, oversizedChannel(protocol, message.head));
      if (stream === undefined) return;
      this.#begin(undefined).passedUnrecorded(stream, oversizedDataBytes(protocol, message.size));
      return;
    }
    const decoded = channelMessage(protocol, message);
    if (decoded === undefined) return;
    if (side === 'agent' && decoded.channel === RESIZE) {
      const size = terminalSize(decoded.data);
      if (size) this.#resized(size);
      return;
    }
    if (side === 'upstream' && decoded.channel === ERROR) {
      const room = MAX_ERROR_CHANNEL_BYTES - this.#errorBytes;
      if (room > 0) {
        const part = decoded.data.subarray(0, room);
        this.#errorChannel.push(part);
        this.#errorBytes += part.length;
      }
      return;
    }
    const stream = streamOf(side, decoded.channel);
    if (stream !== undefined) this.#output(stream, decoded.data);
  }

  #output(stream: OutputStream, data: Buffer): void {
    if (data.length === 0) return;
    this.#begin(undefined).push(stream, data);
  }

  #resized(size: TerminalSize): void {
    // kubectl's first message on a pty is its size: it belongs in the terminal event.
    if (this.#terminal === undefined) {
      this.#begin(size);
      return;
    }
    this.#terminal.resized(size.cols, size.rows);
  }

  /** Records the `terminal` event, once; the stream's output from then on. */
  #begin(size: TerminalSize | undefined): TerminalOutput {
    if (this.#terminal) return this.#terminal;
    this.#terminal = new TerminalOutput(this.statementIndex, this.#now(), {
      record: this.#deps.record,
      budget: this.#deps.budget,
      now: this.#now,
      ...(this.#deps.batch ? { batch: this.#deps.batch } : {}),
    });
    this.#deps.record({
      type: 'terminal',
      statementIndex: this.statementIndex,
      // kubectl does not say which terminal it is; 0x0 says "size unknown", as for SSH.
      ...(this.#tty ? { pty: { term: '', cols: size?.cols ?? 0, rows: size?.rows ?? 0 } } : {}),
    });
    return this.#terminal;
  }
}

/** Which recorded stream a channel is, seen from the side that sent it; undefined for channels that carry no stream data. */
function streamOf(side: Side, channel: number | undefined): OutputStream | undefined {
  if (side === 'agent') return channel === STDIN ? 'stdin' : undefined;
  if (channel === STDOUT) return 'stdout';
  if (channel === STDERR) return 'stderr';
  return undefined;
}

/** The API server reads query booleans with Go's strconv.ParseBool. */
function isTrue(value: string | null): boolean {
  return value !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
}
