/**
 * The Informer against a real kube-apiserver: it follows airlock objects, and keeps an exact copy
 * through a dropped connection, an API server restart, and a 410 Gone the server really answers
 * (a watch from a resourceVersion older than the restarted server's watch cache).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Target } from '@airlock/crds';
import { ControlPlane, installCrds } from '@airlock/testkit';
import { collectionPath, KubeClient, objectPath } from './client.ts';
import { Informer, type InformerEvent } from './informer.ts';
import { KINDS } from './kinds.ts';
import { createNamespace, eventually, kubeConfigVia, targetBody } from './testing/fixtures.ts';
import { TcpRelay } from './testing/tcp-relay.ts';

let plane: ControlPlane;
let admin: KubeClient;
let relay: TcpRelay;
const informers: Informer<Target>[] = [];

before(async () => {
  plane = await ControlPlane.start({ controllers: false, log: (line) => process.stderr.write(`# ${line}\n`) });
  await installCrds(plane);
  admin = new KubeClient(plane.kubeConfig('admin'));
  relay = await TcpRelay.start({ host: '127.0.0.1', port: Number(new URL(plane.server).port) });
});

after(async () => {
  for (const informer of informers) informer.stop();
  await relay?.stop();
  await admin?.close();
  await plane?.stop();
});

interface Seen {
  readonly event: InformerEvent;
  readonly name: string;
  readonly rv: string | undefined;
}

/** An informer on one namespace with test-sized backoff, stopped in after(). */
function informerFor(namespace: string, client: KubeClient = admin): Informer<Target> {
  const informer = new Informer<Target>(client, KINDS.target, { namespace, backoff: { initialMs: 100, maxMs: 1000 } });
  informers.push(informer);
  return informer;
}

function record(informer: Informer<Target>): Seen[] {
  const seen: Seen[] = [];
  informer.onChange((event, object) => seen.push({ event, name: object.metadata.name ?? '?', rv: object.metadata.resourceVersion }));
  return seen;
}

/** Each object's events alternate as they must: add when absent, update or delete when present. */
function assertWellFormed(seen: readonly Seen[]): void {
  const present = new Set<string>();
  for (const { event, name } of seen) {
    if (event === 'add') assert.ok(!present.has(name), `add of ${name} while it was already there`);
    else assert.ok(present.has(name), `${event} of ${name} which was not there`);
    if (event === 'delete') present.delete(name);
    else present.add(name);
  }
}

/** The informer's copy equals what the server has now, names and versions. */
async function assertSameAsServer(informer: Informer<Target>, namespace: string): Promise<void> {
  const list = await admin.list<Target>(collectionPath(KINDS.target, namespace));
  const server = new Map(list.items.map((t) => [t.metadata.name, t.metadata.resourceVersion]));
  const local = new Map(informer.list(namespace).map((t) => [t.metadata.name, t.metadata.resourceVersion]));
  assert.deepEqual(local, server);
}

const names = (informer: Informer<Target>) =>
  informer
    .list()
    .map((t) => t.metadata.name)
    .sort();
const create = (namespace: string, name: string) => admin.create(collectionPath(KINDS.target, namespace), targetBody(namespace, name));
const remove = (namespace: string, name: string) => admin.delete(objectPath(KINDS.target, namespace, name));
const relabel = (namespace: string, name: string, value: string) =>
  admin.patch(objectPath(KINDS.target, namespace, name), { metadata: { labels: { touched: value } } });

describe('Informer on a real API server', () => {
  test('lists what exists, then follows add, update and delete', { timeout: 120_000 }, async () => {
    const ns = 'follow';
    await createNamespace(admin, ns);
    await create(ns, 'a1');
    await create(ns, 'a2');
    const informer = informerFor(ns);
    await informer.start();
    assert.deepEqual(names(informer), ['a1', 'a2']);
    const seen = record(informer);
    assert.deepEqual(
      seen.map((s) => `${s.event} ${s.name}`),
      ['add a1', 'add a2'],
      'a late handler hears the store first',
    );

    const olds: (string | undefined)[] = [];
    informer.onChange((event, _object, old) => {
      if (event !== 'add') olds.push(old?.metadata.resourceVersion);
    });
    await create(ns, 'a3');
    const a1 = informer.get(ns, 'a1');
    await relabel(ns, 'a1', 'yes');
    await remove(ns, 'a2');
    await eventually(() => seen.length === 5, 'add a3, update a1, delete a2');
    assert.deepEqual(
      seen.slice(2).map((s) => `${s.event} ${s.name}`),
      ['add a3', 'update a1', 'delete a2'],
    );
    assert.equal(olds[0], a1?.metadata.resourceVersion, 'update carries the previous copy');
    assert.equal(informer.get(ns, 'a1')?.metadata.labels?.touched, 'yes');
    assert.equal(informer.get(ns, 'a2'), undefined);
    assert.equal(informer.get(ns, 'a3')?.kind, 'Target', 'objects keep apiVersion and kind');
    await assertSameAsServer(informer, ns);
    assert.deepEqual({ lists: informer.stats.lists, gone: informer.stats.gone }, { lists: 1, gone: 0 });
  });

  test('a handler that throws is reported and does not keep the others or the informer from going on', { timeout: 60_000 }, async () => {
    const ns = 'throwing';
    await createNamespace(admin, ns);
    const errors: string[] = [];
    const informer = new Informer<Target>(admin, KINDS.target, {
      namespace: ns,
      onError: (error, phase) => errors.push(`${phase}: ${(error as Error).message}`),
    });
    informers.push(informer);
    await informer.start();
    informer.onChange(() => {
      throw new Error('handler bug');
    });
    const seen = record(informer);
    await create(ns, 't1');
    await create(ns, 't2');
    await eventually(() => seen.length === 2, 'both adds');
    assert.deepEqual(errors, ['handler: handler bug', 'handler: handler bug']);
    assert.equal(informer.stats.errors, 0, 'the watch went on');
  });

  test('interruptWatch(): the informer re-watches from its resourceVersion and loses nothing', { timeout: 120_000 }, async () => {
    const ns = 'interrupt';
    await createNamespace(admin, ns);
    await create(ns, 'b1');
    await create(ns, 'b2');
    const informer = informerFor(ns);
    await informer.start();
    const seen = record(informer);
    seen.length = 0;
    const watchesBefore = informer.stats.watches;
    for (let round = 0; round < 3; round++) {
      informer.interruptWatch();
      await create(ns, `new-${round}`);
      informer.interruptWatch();
      await relabel(ns, 'b1', String(round));
    }
    informer.interruptWatch();
    await remove(ns, 'b2');
    await eventually(() => seen.some((s) => s.event === 'delete' && s.name === 'b2'), 'delete of b2');
    assert.deepEqual(
      seen.map((s) => `${s.event} ${s.name}`),
      ['add new-0', 'update b1', 'add new-1', 'update b1', 'add new-2', 'update b1', 'delete b2'],
    );
    assert.ok(informer.stats.watches > watchesBefore, 'the watch was re-opened');
    assert.equal(informer.stats.lists, 1, 'resumed from the resourceVersion, no re-list');
    await assertSameAsServer(informer, ns);
  });

  test('a real network partition: changes made while cut off arrive after it heals, once each', { timeout: 120_000 }, async () => {
    const ns = 'partition';
    await createNamespace(admin, ns);
    await create(ns, 'p1');
    await create(ns, 'p2');
    const viaRelay = new KubeClient(kubeConfigVia(plane, relay.port));
    const informer = informerFor(ns, viaRelay);
    try {
      await informer.start();
      const seen = record(informer);
      seen.length = 0;
      relay.cut();
      await create(ns, 'p3');
      await relabel(ns, 'p1', 'while-cut');
      await remove(ns, 'p2');
      await eventually(() => informer.stats.errors > 0, 'the informer noticed the partition');
      assert.equal(seen.length, 0, 'nothing arrives while cut off');
      relay.heal();
      await eventually(() => seen.length === 3, 'the three changes');
      assert.deepEqual(
        seen.map((s) => `${s.event} ${s.name}`),
        ['add p3', 'update p1', 'delete p2'],
      );
      assert.equal(informer.stats.lists, 1, 'the server still had the events: no re-list');
      await assertSameAsServer(informer, ns);
    } finally {
      relay.heal();
      informer.stop();
      await viaRelay.close();
    }
  });

  test('restartApiServer() mid-watch: objects created and deleted right after are seen, nothing lost or doubled', {
    timeout: 240_000,
  }, async (t) => {
    const ns = 'restart';
    await createNamespace(admin, ns);
    for (const name of ['r1', 'r2', 'r3']) await create(ns, name);
    const informer = informerFor(ns);
    await informer.start();
    const seen = record(informer);
    await plane.restartApiServer();
    await create(ns, 'r4');
    await remove(ns, 'r1');
    await relabel(ns, 'r2', 'after-restart');
    await eventually(
      () => names(informer).join() === 'r2,r3,r4' && informer.get(ns, 'r2')?.metadata.labels?.touched === 'after-restart',
      'the changes made after the restart',
    );
    assertWellFormed(seen);
    // From the watch they come in order; from a re-list (after a 410) upserts come before deletions.
    assert.deepEqual(
      seen
        .slice(3)
        .map((s) => `${s.event} ${s.name}`)
        .sort(),
      ['add r4', 'delete r1', 'update r2'],
      'each change heard once',
    );
    await assertSameAsServer(informer, ns);
    t.diagnostic(`informer stats after the restart: ${JSON.stringify(informer.stats)}`);
  });

  test('410 Gone for real: after a partition spanning a restart the informer re-lists and reports the deletions it missed', {
    timeout: 240_000,
  }, async () => {
    const ns = 'gone';
    await createNamespace(admin, ns);
    for (const name of ['g1', 'g2', 'g3']) await create(ns, name);
    const viaRelay = new KubeClient(kubeConfigVia(plane, relay.port));
    const informer = informerFor(ns, viaRelay);
    try {
      await informer.start();
      const seen = record(informer);
      const startAt = seen.length; // the adds of g1..g3
      const rvBefore = new Map(informer.list().map((t) => [t.metadata.name, t.metadata.resourceVersion]));
      const versionBefore = informer.resourceVersion;
      const stats = { ...informer.stats };

      relay.cut();
      await remove(ns, 'g1');
      await remove(ns, 'g2');
      await create(ns, 'g4');
      // The restarted server's watch cache starts after these changes: the informer's
      // resourceVersion is now older than anything it can replay, and it answers 410.
      await plane.restartApiServer();
      relay.heal();

      await eventually(() => names(informer).join() === 'g3,g4', 'the store to match the server');
      assert.ok(informer.stats.gone > stats.gone, 'the server answered 410 Gone');
      assert.ok(informer.stats.lists > stats.lists, 'the informer re-listed');
      const changes = seen.slice(startAt);
      const deletes = changes.filter((s) => s.event === 'delete');
      assert.deepEqual(deletes.map((s) => s.name).sort(), ['g1', 'g2']);
      for (const d of deletes) {
        // A watch DELETED event carries the deletion's version; the re-list's diff has only the last copy.
        assert.equal(d.rv, rvBefore.get(d.name), `the delete of ${d.name} came from the re-list`);
      }
      assert.deepEqual(
        changes.filter((s) => s.event !== 'delete').map((s) => `${s.event} ${s.name}`),
        ['add g4'],
      );
      assertWellFormed(seen);
      await assertSameAsServer(informer, ns);

      // resumeFrom a version from before the restart: 410 again, a re-list, and no spurious events.
      const quiet = { gone: informer.stats.gone, lists: informer.stats.lists, events: seen.length };
      informer.resumeFrom(versionBefore);
      await eventually(() => informer.stats.gone > quiet.gone && informer.stats.lists > quiet.lists && informer.synced, 're-list');
      await relabel(ns, 'g3', 'after-resume'); // and it follows on from there
      await eventually(() => informer.get(ns, 'g3')?.metadata.labels?.touched === 'after-resume', 'the update after the re-list');
      assert.deepEqual(
        seen.slice(quiet.events).map((s) => `${s.event} ${s.name}`),
        ['update g3'],
      );
      await assertSameAsServer(informer, ns);
    } finally {
      relay.heal();
      informer.stop();
      await viaRelay.close();
    }
  });

  test('stop() before the first list rejects start() and ends the loop', { timeout: 60_000 }, async () => {
    relay.cut();
    const viaRelay = new KubeClient(kubeConfigVia(plane, relay.port));
    const informer = informerFor('default', viaRelay);
    try {
      const started = informer.start();
      await eventually(() => informer.stats.errors > 0, 'a failed list');
      informer.stop();
      await assert.rejects(started, { code: 'InformerStopped' });
    } finally {
      relay.heal();
      await viaRelay.close();
    }
  });
});
