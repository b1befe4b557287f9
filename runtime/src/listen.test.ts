import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { boundPort, listen } from './listen.ts';

test('listen resolves with the port it got, and a taken port rejects with the listen error', async () => {
  const first = createServer();
  const second = createServer();
  try {
    assert.equal(boundPort(first), 0, 'not listening yet');
    const port = await listen(first, 0, '127.0.0.1');
    assert.ok(port > 0);
    assert.equal(boundPort(first), port);
    await assert.rejects(listen(second, port, '127.0.0.1'), { code: 'EADDRINUSE' });
    assert.equal(second.listenerCount('error'), 0, 'no error listener is left behind');
  } finally {
    await new Promise((resolve) => first.close(resolve));
  }
});
