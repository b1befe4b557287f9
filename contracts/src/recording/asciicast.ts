/**
 * A recorded SSH session as an asciicast v2 recording (https://docs.asciinema.org/manual/asciicast/v2/),
 * the format asciinema and its web player replay: a JSON header line, then one JSON array per event,
 * `[seconds, code, data]`. Pure: records in, the cast out; the caller gives only records whose
 * hash chain verified (verified-prefix.ts), so a replay never shows altered output as real.
 *
 * How the recording maps onto it:
 * - stdout and stderr are both `o` (what the agent's terminal showed; asciicast has no stderr);
 * - stdin is `i` on a pty channel (the keystrokes); without a pty it is what the command read (an
 *   upload, a piped script), which no terminal showed, so it is left out;
 * - without a pty the agent's own terminal turned each LF into CR LF (the tty's onlcr), so the
 *   cast does too; on a pty the host's terminal did it already and the bytes are kept as they are;
 * - `terminal.resize` is `r` (`COLSxROWS`), `output.truncated` an `m` marker that says so;
 * - bytes are decoded as UTF-8 per channel and stream, across event boundaries (a character split
 *   between two events is whole in the cast); invalid bytes become U+FFFD, as asciinema does.
 *
 * Times: a channel's events are its `terminal` record's time (milliseconds, the recorder's clock)
 * plus their offsets, counted from the first channel of the cast; channels that overlap are merged
 * in time order.
 */
import { TextDecoder } from 'node:util';
import type { OutputStream, RecordedEvent } from './events.ts';
import type { StoredRecord } from './hash-chain.ts';

export interface AsciicastHeader {
  readonly version: 2;
  readonly width: number;
  readonly height: number;
  /** Unix seconds when the first channel started. */
  readonly timestamp?: number;
  readonly title?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export type AsciicastCode = 'o' | 'i' | 'r' | 'm';
export type AsciicastEvent = readonly [seconds: number, code: AsciicastCode, data: string];

export interface Asciicast {
  readonly header: AsciicastHeader;
  readonly events: readonly AsciicastEvent[];
  /** Commands (statement indexes) whose channel is in the cast, in order. */
  readonly commands: readonly number[];
}

export interface AsciicastOptions {
  /** Only this command's channel; by default every channel of the session. */
  readonly statementIndex?: number;
}

/** Without a pty nothing says how large the agent's terminal was: the usual default. */
export const DEFAULT_TERMINAL = { cols: 80, rows: 24 } as const;

interface Channel {
  readonly index: number;
  readonly startMs: number;
  readonly pty: boolean;
  readonly decoders: Map<OutputStream, TextDecoder>;
}

interface Timed {
  readonly ms: number;
  readonly order: number;
  readonly event: readonly [AsciicastCode, string];
}

export function toAsciicast(records: readonly StoredRecord<RecordedEvent>[], options: AsciicastOptions = {}): Asciicast {
  const wanted = (index: number) => options.statementIndex === undefined || options.statementIndex === index;
  const channels = new Map<number, Channel>();
  const texts = new Map<number, string>();
  const timed: Timed[] = [];
  let target: string | undefined;
  let first: { readonly startMs: number; readonly pty?: { term: string; cols: number; rows: number } } | undefined;
  /** Per channel, the time of its latest output: where what a decoder still holds is shown. */
  const lastMs = new Map<number, number>();
  const push = (ms: number, code: AsciicastCode, data: string) => {
    if (data !== '') timed.push({ ms, order: timed.length, event: [code, data] });
  };
  const show = (channel: Channel, stream: OutputStream, ms: number, text: string) =>
    push(ms, codeOf(stream), channel.pty || stream === 'stdin' ? text : text.replaceAll('\n', '\r\n'));
  /** The channel ended: bytes a decoder held for a character that never completed become U+FFFD. */
  const drain = (channel: Channel) => {
    for (const [stream, decoder] of channel.decoders) show(channel, stream, lastMs.get(channel.index) ?? channel.startMs, decoder.decode());
    channel.decoders.clear();
  };

  for (const { event, time } of records) {
    switch (event.type) {
      case 'session.open':
        target = event.target.name;
        break;
      case 'statement':
        texts.set(event.statementIndex, event.text);
        break;
      case 'terminal': {
        if (!wanted(event.statementIndex)) break;
        const previous = channels.get(event.statementIndex);
        if (previous) drain(previous);
        const startMs = Date.parse(time);
        const channel: Channel = { index: event.statementIndex, startMs, pty: event.pty !== undefined, decoders: new Map() };
        channels.set(event.statementIndex, channel);
        if (first === undefined) first = { startMs, ...(event.pty ? { pty: event.pty } : {}) };
        break;
      }
      case 'output': {
        const channel = channels.get(event.statementIndex);
        if (!channel) break;
        // Without a pty, stdin is what the command read, not what a terminal showed.
        if (event.stream === 'stdin' && !channel.pty) break;
        const ms = channel.startMs + event.offsetMs;
        lastMs.set(channel.index, Math.max(ms, lastMs.get(channel.index) ?? ms));
        let decoder = channel.decoders.get(event.stream);
        if (!decoder) {
          decoder = new TextDecoder('utf-8', { fatal: false });
          channel.decoders.set(event.stream, decoder);
        }
        const text = decoder.decode(Buffer.from(event.data, 'base64'), { stream: true });
        show(channel, event.stream, ms, text);
        break;
      }
      case 'terminal.resize': {
        const channel = channels.get(event.statementIndex);
        if (channel) push(channel.startMs + event.offsetMs, 'r', `${event.cols}x${event.rows}`);
        break;
      }
      case 'output.truncated': {
        const channel = channels.get(event.statementIndex);
        if (channel) {
          push(
            channel.startMs + event.offsetMs,
            'm',
            `airlock: the session's recording bound (${event.limitBytes} bytes) was reached; later output was not recorded`,
          );
        }
        break;
      }
      case 'result': {
        const channel = channels.get(event.statementIndex);
        if (channel) drain(channel);
        break;
      }
      default:
        break;
    }
  }
  for (const channel of channels.values()) drain(channel);

  const startMs = first?.startMs ?? 0;
  timed.sort((a, b) => a.ms - b.ms || a.order - b.order);
  const commands = [...channels.keys()].sort((a, b) => a - b);
  const size = first?.pty ?? DEFAULT_TERMINAL;
  const title = castTitle(
    target,
    commands.map((index) => texts.get(index) ?? ''),
  );
  return {
    header: {
      version: 2,
      width: size.cols > 0 ? size.cols : DEFAULT_TERMINAL.cols,
      height: size.rows > 0 ? size.rows : DEFAULT_TERMINAL.rows,
      ...(first ? { timestamp: Math.floor(startMs / 1000) } : {}),
      ...(title ? { title } : {}),
      ...(first?.pty?.term ? { env: { TERM: first.pty.term } } : {}),
    },
    events: timed.map(({ ms, event }) => [seconds(ms - startMs), ...event] as const),
    commands,
  };
}

/** The file: the header line, then one line per event, each ending in a newline. */
export function renderAsciicast(cast: Asciicast): string {
  return [cast.header, ...cast.events].map((line) => `${JSON.stringify(line)}\n`).join('');
}

/** `<target> <command>`; a session of several commands names the first and counts the rest. */
function castTitle(target: string | undefined, commands: readonly string[]): string {
  const [head, ...rest] = commands;
  const what =
    head === undefined ? '' : rest.length === 0 ? head : `${head} (and ${rest.length} more command${rest.length === 1 ? '' : 's'})`;
  return [target, what].filter((part) => part !== undefined && part !== '').join(' ');
}

function codeOf(stream: OutputStream): AsciicastCode {
  return stream === 'stdin' ? 'i' : 'o';
}

/** Microsecond precision, as asciinema writes; never negative (clocks of overlapping channels). */
function seconds(ms: number): number {
  return Math.max(0, Math.round(ms * 1000) / 1_000_000);
}
