import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { REDACTED } from '@airlock/contracts/masking';
import { type MaskCounts, type MaskedRequest, responseMaskingFor } from './response-masking.ts';
import { type ApiJson, b64, compiledRules, lastAppliedSecret, SECRET_VALUES, secretObject, secretTable } from './testing/api-objects.ts';
import { assertNoLeak } from './testing/leak-check.ts';

const WATCH_SECRETS: MaskedRequest = { resource: { apiGroup: '', resource: 'secrets', subresource: '', verb: 'watch' } };
const WATCH_CONFIGMAPS = { apiGroup: '', resource: 'configmaps', subresource: '', verb: 'watch' };

/** Two events as the API server writes them: compact JSON, one per line. */
const TWO_EVENTS = Buffer.from(
  `${JSON.stringify({ type: 'ADDED', object: secretObject('db', { lastApplied: lastAppliedSecret() }) })}\n` +
    `${JSON.stringify({ type: 'MODIFIED', object: { ...secretObject('db'), stringData: { token: 'ghp_abc' } } })}\n`,
);

async function run(
  request: MaskedRequest,
  chunks: readonly Buffer[],
  maxLineBytes?: number,
): Promise<{ output: Buffer; counts: MaskCounts }> {
  const transform = responseMaskingFor(request)!.watchTransform(maxLineBytes === undefined ? undefined : { maxLineBytes });
  const output = await buffer(Readable.from(chunks, { objectMode: false }).pipe(transform));
  return { output, counts: { ...transform.counts } };
}

function lines(output: Buffer): ApiJson[] {
  return output
    .toString()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

describe('watchTransform', () => {
  test('each event is masked, one JSON event per line', async () => {
    const { output, counts } = await run(WATCH_SECRETS, [TWO_EVENTS]);
    const [added, modified] = lines(output);
    assert.equal(added?.type, 'ADDED');
    assert.deepEqual(added?.object.data, { password: b64(REDACTED), username: b64(REDACTED) });
    assert.deepEqual(modified?.object.stringData, { token: REDACTED });
    assert.ok(output.toString().endsWith('}\n'));
    assert.deepEqual(counts, { 'kubernetes:secret-data': 7 });
    assertNoLeak(output, [...Object.values(SECRET_VALUES), 'ghp_abc']);
  });

  test('split at every byte offset, the output is the same', async () => {
    const whole = (await run(WATCH_SECRETS, [TWO_EVENTS])).output;
    for (let at = 0; at <= TWO_EVENTS.length; at++) {
      const { output } = await run(WATCH_SECRETS, [TWO_EVENTS.subarray(0, at), TWO_EVENTS.subarray(at)]);
      assert.ok(output.equals(whole), `split at ${at}`);
    }
  });

  test('one byte at a time, the output is the same', async () => {
    const whole = (await run(WATCH_SECRETS, [TWO_EVENTS])).output;
    const bytes = Array.from(TWO_EVENTS, (_, i) => TWO_EVENTS.subarray(i, i + 1));
    assert.ok((await run(WATCH_SECRETS, bytes)).output.equals(whole));
  });

  test('events with nothing to mask pass as the bytes that came in, blank lines included', async () => {
    const stream = Buffer.from(
      '{"type":"BOOKMARK","object":{"kind":"Secret","apiVersion":"v1","metadata":{"resourceVersion":"12","annotations":{"k8s.io/initial-events-end":"true"}}}}\n\n' +
        '{"type":"DELETED","object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"x","resourceVersion":"13"}}}\n',
    );
    const { output, counts } = await run(WATCH_SECRETS, [stream.subarray(0, 40), stream.subarray(40)]);
    assert.ok(output.equals(stream));
    assert.deepEqual(counts, {});
  });

  test('a last event without its newline is masked at the end', async () => {
    const stream = Buffer.from(JSON.stringify({ type: 'ADDED', object: secretObject() }));
    const [event] = lines((await run(WATCH_SECRETS, [stream])).output);
    assert.deepEqual(event?.object.data, { password: b64(REDACTED), username: b64(REDACTED) });
  });

  test('Table watch (kubectl get secrets -w): row objects masked; later events use the first column definitions', async () => {
    const first = secretTable('Metadata');
    const later = { ...secretTable('Object') };
    delete later.columnDefinitions;
    later.rows = [
      { cells: ['db-credentials', 'Opaque', 2, '6m'], object: secretObject('db-credentials', { lastApplied: lastAppliedSecret() }) },
    ];
    const stream = Buffer.from(
      `${JSON.stringify({ type: 'ADDED', object: first })}\n${JSON.stringify({ type: 'MODIFIED', object: later })}\n`,
    );
    const rules = compiledRules([{ name: 'types', columns: ['type'] }]);
    const { output } = await run({ ...WATCH_SECRETS, rules }, [stream]);
    const [added, modified] = lines(output);
    assert.deepEqual(added?.object.rows[0].cells, ['db-credentials', REDACTED, 2, '5m']);
    assert.deepEqual(modified?.object.rows[0].cells, ['db-credentials', REDACTED, 2, '6m']);
    assert.equal(modified?.object.rows[0].object.type, REDACTED);
    assertNoLeak(output, Object.values(SECRET_VALUES));
  });

  test('policy rules on a ConfigMap watch', async () => {
    const stream = Buffer.from(
      '{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"},"data":{"owner":"ops@example.com"}}}\n',
    );
    const rules = compiledRules([{ name: 'e', detectors: ['email'] }]);
    const { output, counts } = await run({ resource: WATCH_CONFIGMAPS, rules }, [stream]);
    assert.equal(lines(output)[0]?.object.data.owner, REDACTED);
    assert.deepEqual(counts, { 'p/e': 1 });
  });

  test('an event over maxLineBytes errors the stream with EventTooLarge, split or not', async () => {
    await assert.rejects(run(WATCH_SECRETS, [TWO_EVENTS], 100), { code: 'EventTooLarge' });
    await assert.rejects(run(WATCH_SECRETS, [TWO_EVENTS.subarray(0, 60), TWO_EVENTS.subarray(60, 120)], 100), { code: 'EventTooLarge' });
  });

  test('a line that is not JSON errors the stream with NotJson', async () => {
    await assert.rejects(run(WATCH_SECRETS, [Buffer.from('{"type":"ADDED","object":{"kind":"Secret"\n')]), { code: 'NotJson' });
    await assert.rejects(run(WATCH_SECRETS, [Buffer.from('{"type":"ADDED","object":{"kind":"Secr')]), { code: 'NotJson' });
  });
});
