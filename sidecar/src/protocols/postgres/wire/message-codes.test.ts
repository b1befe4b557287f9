import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serialize } from 'pg-protocol';
import { BACKEND, FRONTEND } from './message-codes.ts';

describe('message codes', () => {
  test("frontend codes are the type bytes node-postgres' serializer writes", () => {
    const written: [number, Buffer][] = [
      [FRONTEND.Query, serialize.query('SELECT 1')],
      [FRONTEND.Parse, serialize.parse({ text: 'SELECT 1' })],
      [FRONTEND.Bind, serialize.bind()],
      [FRONTEND.Execute, serialize.execute()],
      [FRONTEND.Describe, serialize.describe({ type: 'P' })],
      [FRONTEND.Close, serialize.close({ type: 'S' })],
      [FRONTEND.Sync, serialize.sync()],
      [FRONTEND.Flush, serialize.flush()],
      [FRONTEND.Terminate, serialize.end()],
      [FRONTEND.CopyData, serialize.copyData(Buffer.from('x'))],
      [FRONTEND.CopyDone, serialize.copyDone()],
      [FRONTEND.CopyFail, serialize.copyFail('no')],
      [FRONTEND.Password, serialize.password('secret')],
    ];
    for (const [code, bytes] of written) assert.equal(code, bytes[0], String.fromCharCode(bytes[0]!));
    assert.equal(FRONTEND.FunctionCall, 'F'.charCodeAt(0));
  });

  test('backend codes are the letters of the protocol documentation', () => {
    const letters: Record<keyof typeof BACKEND, string> = {
      Authentication: 'R',
      BackendKeyData: 'K',
      BindComplete: '2',
      CloseComplete: '3',
      CommandComplete: 'C',
      CopyBothResponse: 'W',
      CopyData: 'd',
      CopyDone: 'c',
      CopyInResponse: 'G',
      CopyOutResponse: 'H',
      DataRow: 'D',
      EmptyQueryResponse: 'I',
      ErrorResponse: 'E',
      FunctionCallResponse: 'V',
      NegotiateProtocolVersion: 'v',
      NoData: 'n',
      NoticeResponse: 'N',
      NotificationResponse: 'A',
      ParameterDescription: 't',
      ParameterStatus: 'S',
      ParseComplete: '1',
      PortalSuspended: 's',
      ReadyForQuery: 'Z',
      RowDescription: 'T',
    };
    for (const [name, letter] of Object.entries(letters)) assert.equal(BACKEND[name as keyof typeof BACKEND], letter.charCodeAt(0), name);
    assert.ok(Object.isFrozen(BACKEND) && Object.isFrozen(FRONTEND));
  });
});
