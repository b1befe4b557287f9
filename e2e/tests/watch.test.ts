/**
 * A watch opened with @kubernetes/client-node must keep delivering events for minutes, through
 * quiet stretches longer than the client's 30 s request timeout (client-node 2.0.0 aborted every
 * watch after 30 s; 2.0.1 turned that into an inactivity timeout, which still ends a quiet watch).
 * The settings here are the ones airlock's controllers use: see docs/adr/0003-watch-timeouts.md.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GROUP, VERSION } from '@airlock/crds';
import { baseDocument } from '@airlock/crds/testing/invalid-cases';
import { ControlPlane, installCrds } from '@airlock/testkit';
import { CustomObjectsApi, Watch } from '@kubernetes/client-node';

/** Server-side watch lifetime; the client's inactivity timeout must exceed the gap between bookmarks. */
const WATCH_SECONDS = 600;
const CLIENT_INACTIVITY_MS = (WATCH_SECONDS + 30) * 1000;
const GAP_MS = 40_000; // longer than client-node's default 30 s timeout
const EVENTS = 4; // the last event arrives 2 min after the first, 2.5 min after the watch opened

let plane: ControlPlane;
before(async () => {
  plane = await ControlPlane.start({ log: (line) => process.stderr.write(`# ${line}\n`) });
  await installCrds(plane);
});
after(async () => plane?.stop());

test('a client-node watch delivers events for more than 2 minutes through quiet stretches', { timeout: 300_000 }, async () => {
  const kc = plane.kubeConfig();
  const api = kc.makeApiClient(CustomObjectsApi);
  const path = `/apis/${GROUP}/${VERSION}/namespaces/default/targets`;
  const seen: string[] = [];
  let ended: unknown = 'open';
  const watch = new Watch(kc);
  // client-node keeps this knob private; fail loudly if an upgrade renames it.
  const knob = watch as unknown as { requestTimeoutMs: number };
  assert.equal(typeof knob.requestTimeoutMs, 'number', 'client-node Watch no longer has requestTimeoutMs: revisit ADR 0003');
  // WATCH_CLIENT_TIMEOUT_MS=30000 reproduces the library default, under which this test fails.
  knob.requestTimeoutMs = Number(process.env.WATCH_CLIENT_TIMEOUT_MS ?? CLIENT_INACTIVITY_MS);
  // Right after a CRD is established its watch cache may still be initializing and answers 429;
  // a controller retries that, and so do we, until the watch is open.
  let controller: AbortController | undefined;
  for (let attempt = 0; !controller; attempt++) {
    ended = 'open';
    const c = await watch.watch(
      path,
      { allowWatchBookmarks: true, timeoutSeconds: WATCH_SECONDS },
      (type, obj: { metadata?: { name?: string } }) => {
        if (type === 'ADDED') seen.push(obj.metadata?.name ?? '?');
      },
      (error) => (ended = error ?? 'closed'),
    );
    if (ended === 'open') controller = c;
    else if (/Too Many Requests/.test(String(ended)) && attempt < 60) await sleep(500);
    else assert.fail(`the watch did not open: ${String(ended)}`);
  }
  const opened = Date.now();
  try {
    for (let i = 0; i < EVENTS; i++) {
      if (i > 0) await sleep(GAP_MS);
      const body = baseDocument('Target', 'orders-db');
      body.metadata = { name: `db-${i}`, namespace: 'default' };
      await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: 'targets', body });
      const deadline = Date.now() + 10_000;
      while (!seen.includes(`db-${i}`) && Date.now() < deadline && ended === 'open') await sleep(50);
      assert.equal(ended, 'open', `the watch ended after ${Math.round((Date.now() - opened) / 1000)}s: ${String(ended)}`);
      assert.ok(seen.includes(`db-${i}`), `event ${i} not delivered after ${Math.round((Date.now() - opened) / 1000)}s`);
    }
    assert.ok(Date.now() - opened > 120_000, 'the watch was open for more than 2 minutes');
    assert.deepEqual(
      seen,
      Array.from({ length: EVENTS }, (_, i) => `db-${i}`),
    );
  } finally {
    controller.abort();
  }
});
