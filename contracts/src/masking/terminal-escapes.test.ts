import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteRole, MAX_SEQUENCE_BYTES, TerminalEscapeTracker } from './terminal-escapes.ts';

/** One letter per byte: t text, s sequence, f final, p payload. */
function roles(input: string, tracker = new TerminalEscapeTracker()): string {
  const letters = { [ByteRole.Text]: 't', [ByteRole.Sequence]: 's', [ByteRole.Final]: 'f', [ByteRole.Payload]: 'p' };
  return Array.from(Buffer.from(input, 'utf8'), (b) => letters[tracker.step(b)]).join('');
}

describe('TerminalEscapeTracker', () => {
  test('reads the CSI sequences grep --color=always writes', () => {
    assert.equal(roles('a\x1b[01;31m\x1b[Kb\x1b[m\x1b[K'), 'tsssssssfssftssfssf');
    assert.equal(roles('\x1b[?2004h'), 'sssssssf');
  });

  test('reads two-byte escapes and charset designations', () => {
    assert.equal(roles('\x1b7x\x1b(Bx'), 'sftssft');
  });

  test('reads an OSC payload ended by BEL or by ST', () => {
    assert.equal(roles('\x1b]0;hi\x07x'), 'ssppppft');
    assert.equal(roles('\x1b]8;;u\x1b\\x'), 'ssppppsft');
  });

  test('a lone ESC before a byte no sequence allows is a sequence of one byte', () => {
    assert.equal(roles('\x1b\nx'), 'stt');
    assert.equal(roles('\x1b[31\nx'), 'sssstt');
  });

  test('an ESC in a string that is not ST ends the string and begins the next sequence', () => {
    assert.equal(roles('\x1b]0;t\x1b[mx'), 'sspppssft');
  });

  test('a sequence never runs past its byte bound: what follows is text again', () => {
    const title = `\x1b]0;${'x'.repeat(300)}`;
    const read = roles(title);
    assert.equal(read.slice(0, MAX_SEQUENCE_BYTES), `ss${'p'.repeat(MAX_SEQUENCE_BYTES - 2)}`);
    assert.equal(read.slice(MAX_SEQUENCE_BYTES), 't'.repeat(title.length - MAX_SEQUENCE_BYTES));
    const csi = `\x1b[${'1;'.repeat(200)}m`;
    assert.equal(roles(csi).slice(MAX_SEQUENCE_BYTES), 't'.repeat(csi.length - MAX_SEQUENCE_BYTES));
  });

  test('the state carries across calls: a sequence split over chunks reads as one', () => {
    const tracker = new TerminalEscapeTracker();
    assert.equal(roles('x\x1b[01', tracker), 'tssss');
    assert.ok(tracker.inSequence);
    assert.equal(roles(';31mx', tracker), 'sssft');
    assert.ok(!tracker.inSequence);
  });
});
