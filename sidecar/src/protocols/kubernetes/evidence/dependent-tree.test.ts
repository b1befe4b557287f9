import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDependentTree, describeCounts, MAX_DEPENDENT_DEPTH, renderDependents } from './dependent-tree.ts';
import { DEPENDENT_TYPES, type DependentType } from './dependent-types.ts';
import type { ObjectMetadata } from './list-metadata.ts';

const type = (resource: string): DependentType => {
  const found = DEPENDENT_TYPES.find((t) => t.resource === resource);
  if (!found) throw new Error(resource);
  return found;
};
const meta = (name: string, uid: string, ...owners: string[]): ObjectMetadata => ({
  name,
  namespace: 'shop',
  uid,
  ownerReferences: owners.map((owner) => ({ uid: owner, kind: 'X', name: 'x' })),
});

test('follows ownerReferences from the deleted uid: ReplicaSets, then their Pods, nothing unrelated', () => {
  const tree = buildDependentTree(
    ['deploy'],
    [
      {
        type: type('pods'),
        items: [meta('rs-b-0', 'p3', 'rs-b'), meta('rs-a-0', 'p1', 'rs-a'), meta('loner', 'p9'), meta('rs-a-1', 'p2', 'rs-a')],
      },
      {
        type: type('replicasets'),
        items: [meta('rs-b', 'rs-b', 'deploy'), meta('rs-a', 'rs-a', 'deploy'), meta('other', 'rs-x', 'elsewhere')],
      },
    ],
  );
  assert.equal(tree.total, 5);
  assert.equal(describeCounts(tree.counts), '2 replicasets and 3 pods');
  const lines: string[] = [];
  assert.equal(renderDependents(tree.byRoot.get('deploy') ?? [], 1, 100, false, lines), 5);
  assert.deepEqual(lines, ['  ReplicaSet rs-a', '    Pod rs-a-0', '    Pod rs-a-1', '  ReplicaSet rs-b', '    Pod rs-b-0']);
  const fewer: string[] = [];
  assert.equal(renderDependents(tree.byRoot.get('deploy') ?? [], 1, 2, false, fewer), 2);
});

test('a cycle or a second owner shows an object once; depth is bounded', () => {
  const cycle = buildDependentTree(
    ['a'],
    [{ type: type('configmaps'), items: [meta('b', 'b', 'a', 'c'), meta('c', 'c', 'b'), meta('a', 'a', 'c')] }],
  );
  assert.equal(cycle.total, 2);
  const chain = Array.from({ length: MAX_DEPENDENT_DEPTH + 2 }, (_, i) => meta(`n${i + 1}`, `n${i + 1}`, i === 0 ? 'root' : `n${i}`));
  const deep = buildDependentTree(['root'], [{ type: type('configmaps'), items: chain }]);
  assert.equal(deep.total, MAX_DEPENDENT_DEPTH);
  assert.equal(deep.deeperNotShown, true);
  assert.equal(describeCounts(new Map([[type('pods'), 1]])), '1 pod');
});
