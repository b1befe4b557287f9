import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Frame } from '../wire/frame-decoder.ts';
import { type InFlight, InFlightQueue } from './in-flight.ts';
import { LexingBarrier, lexingDependsOnSettings } from './lexing-barrier.ts';

describe('lexingDependsOnSettings', () => {
  test('ASCII without a backslash never depends on them', () => {
    for (const text of ["SELECT 'a''b', E'x', U&'d', $$q$$ FROM t -- ok", 'SELECT 1', ''])
      assert.equal(lexingDependsOnSettings(text), false, text);
  });
  test('a backslash, any non-ASCII character or a replacement character does', () => {
    for (const text of ["SELECT '\\'", "SELECT 'é'", 'SELECT 1 -- 日本', "SELECT '\ufffd'", "SELECT '😀'"])
      assert.equal(lexingDependsOnSettings(text), true, text);
  });
});

/** Backend frames built by hand, not by the code under test. */
function frame(type: string, payload: Buffer = Buffer.alloc(0)): Frame {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + payload.length, 1);
  return { code: type.charCodeAt(0), payload, raw: Buffer.concat([header, payload]) };
}

function dataRow(value: string): Frame {
  const text = Buffer.from(value);
  const payload = Buffer.alloc(6 + text.length);
  payload.writeInt16BE(1, 0);
  payload.writeInt32BE(text.length, 2);
  text.copy(payload, 6);
  return frame('D', payload);
}

function harness() {
  const inFlight = new InFlightQueue();
  const sent: Buffer[] = [];
  const events: string[] = [];
  const asked: string[] = [];
  let closing = false;
  const barrier = new LexingBarrier({
    inFlight,
    forward: (bytes: Buffer, entry: InFlight) => {
      sent.push(bytes);
      inFlight.push(entry);
      barrier.forwarded(entry.kind);
    },
    nameInUse: (kind, name) => {
      asked.push(`${kind} ${name}`);
      return asked.length === 1;
    },
    closing: () => closing,
    pinBroken: (setting, value) => {
      events.push(`broken ${setting}=${value}`);
      closing = true;
    },
    unverifiable: (reason) => events.push(`unverifiable ${reason}`),
  });
  const forward = (kind: InFlight['kind']): void => {
    inFlight.push({ kind });
    barrier.forwarded(kind);
  };
  /** Replies to the head entry, as the session would retire it, then the end-of-batch check. */
  const reply = (...frames: Frame[]): void => {
    for (const f of frames) {
      if (barrier.upstreamFrame(f)) continue;
      const type = String.fromCharCode(f.code);
      const head = inFlight.head?.kind;
      if (type === 'Z' || (type === '2' && head === 'bind') || (type === 'C' && head === 'execute')) inFlight.shift();
    }
    barrier.check();
  };
  const ran: string[] = [];
  const gate = (text: string) =>
    barrier.gate(
      text,
      () => {
        ran.push(text);
        return undefined;
      },
      () => ran.push(`skipped ${text}`),
    );
  return { barrier, inFlight, sent, events, asked, forward, reply, ran, gate };
}

const probeReplies = (encoding: string, standard: string): Frame[] => [
  frame('1'),
  frame('2'),
  dataRow(encoding),
  frame('C', Buffer.from('SHOW\0')),
  frame('1'),
  frame('2'),
  dataRow(standard),
  frame('C', Buffer.from('SHOW\0')),
  frame('3'),
  frame('3'),
  frame('3'),
  frame('3'),
];

describe('LexingBarrier', () => {
  test('ASCII goes at once, even behind code in flight; no probe', () => {
    const h = harness();
    h.forward('execute');
    assert.equal(h.gate('SELECT 1'), undefined);
    assert.deepEqual(h.ran, ['SELECT 1']);
    assert.equal(h.sent.length, 0);
  });

  test('non-ASCII with nothing run since the last ReadyForQuery goes at once', () => {
    const h = harness();
    h.forward('query');
    h.reply(frame('C', Buffer.from('SELECT 1\0')), frame('Z', Buffer.from('I')));
    h.gate("SELECT 'é'");
    assert.deepEqual(h.ran, ["SELECT 'é'"]);
  });

  test('behind a Query it waits for ReadyForQuery (which carries any change), without a probe', async () => {
    const h = harness();
    h.forward('query');
    const waiting = h.gate("SELECT 'é'");
    assert.ok(waiting);
    h.reply(frame('C', Buffer.from('SELECT 1\0')));
    await Promise.resolve();
    assert.deepEqual(h.ran, []);
    h.reply(frame('Z', Buffer.from('I')));
    await waiting;
    assert.deepEqual(h.ran, ["SELECT 'é'"]);
    assert.equal(h.sent.length, 0);
  });

  test('behind an Execute without Sync it probes (names the agent does not use), and goes when the pins hold', async () => {
    const h = harness();
    h.forward('bind');
    h.forward('execute');
    const waiting = h.gate("SELECT 'é'");
    assert.equal(h.sent.length, 1);
    const probe = h.sent[0]!.toString('latin1');
    assert.match(probe, /SHOW client_encoding/);
    assert.match(probe, /SHOW standard_conforming_strings/);
    assert.match(h.asked[0] ?? '', /^statement airlock_lexing_probe_[0-9a-f]{16}_0$/);
    assert.ok(probe.includes(`${h.asked[0]?.slice('statement '.length)}_\0`), 'a name in use is not taken');
    assert.equal(probe.at(-5), 'H', 'ends with Flush');
    h.reply(frame('2'), frame('C', Buffer.from('SELECT 1\0')));
    h.reply(...probeReplies('UTF8', 'on'));
    await waiting;
    assert.deepEqual(h.ran, ["SELECT 'é'"]);
    assert.equal(h.inFlight.size, 0);
  });

  test('the probe finds a pin broken: the backstop ends the session and the message never goes', async () => {
    const h = harness();
    h.forward('execute');
    const waiting = h.gate("SELECT E'\\''");
    h.reply(frame('C', Buffer.from('SELECT 1\0')), ...probeReplies('SJIS', 'on'));
    await waiting;
    assert.deepEqual(h.events, ['broken client_encoding=SJIS']);
    assert.deepEqual(h.ran, []);
  });

  test('the Execute fails: the server skips to Sync, so the message is skipped, not forwarded', async () => {
    const h = harness();
    h.forward('execute');
    const waiting = h.gate("SELECT 'é'");
    // The session retires the Execute and the probe behind it (discardUntilSync), then says the server skips.
    assert.equal(h.barrier.upstreamFrame(frame('E', Buffer.from('SERROR\0C22012\0\0'))), false);
    h.inFlight.discardUntilSync();
    h.barrier.serverSkips(true);
    h.barrier.check();
    await waiting;
    assert.deepEqual(h.ran, ["skipped SELECT 'é'"]);
    h.forward('sync');
    h.reply(frame('Z', Buffer.from('I')));
    h.gate("SELECT 'é'");
    assert.deepEqual(h.ran, ["skipped SELECT 'é'", "SELECT 'é'"]);
  });

  test('the probe itself fails: fail closed', async () => {
    const h = harness();
    h.forward('execute');
    const waiting = h.gate("SELECT 'é'");
    h.reply(frame('C', Buffer.from('SELECT 1\0')), frame('E', Buffer.from('SERROR\0C57014\0\0')));
    await Promise.resolve();
    assert.match(h.events[0] ?? '', /^unverifiable/);
    assert.deepEqual(h.ran, []);
    void waiting;
  });

  test('the server waits for COPY data: a held message goes (the COPY consumes it)', async () => {
    const h = harness();
    h.forward('query');
    const waiting = h.gate("SELECT 'é'");
    h.reply(frame('G', Buffer.from([0, 0, 0])));
    await waiting;
    assert.deepEqual(h.ran, ["SELECT 'é'"]);
  });
});
