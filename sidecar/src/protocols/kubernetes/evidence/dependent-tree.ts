/**
 * Which listed objects a delete would take with it: those whose ownerReferences name the deleted
 * object's uid, then theirs, down to MAX_DEPENDENT_DEPTH levels (Deployment → ReplicaSet → Pod is
 * two). Pure: the lists are read elsewhere; a uid seen twice (a cycle, or two owners) is shown once.
 */
import { countOf, DEPENDENT_TYPES, type DependentType } from './dependent-types.ts';
import type { ObjectMetadata } from './list-metadata.ts';

export const MAX_DEPENDENT_DEPTH = 5;

export interface ListedType {
  readonly type: DependentType;
  readonly items: readonly ObjectMetadata[];
}

export interface DependentNode {
  readonly type: DependentType;
  readonly metadata: ObjectMetadata;
  readonly children: readonly DependentNode[];
}

export interface DependentTree {
  /** The dependents of each deleted object, by the deleted object's uid. */
  readonly byRoot: ReadonlyMap<string, readonly DependentNode[]>;
  readonly total: number;
  /** Per type, in DEPENDENT_TYPES order, only types with dependents. */
  readonly counts: ReadonlyMap<DependentType, number>;
  /** Objects deeper than MAX_DEPENDENT_DEPTH own further dependents that are not shown. */
  readonly deeperNotShown: boolean;
}

export function buildDependentTree(rootUids: readonly string[], listed: readonly ListedType[]): DependentTree {
  const byOwner = new Map<string, { type: DependentType; metadata: ObjectMetadata }[]>();
  for (const { type, items } of listed) {
    for (const metadata of items) {
      for (const owner of metadata.ownerReferences) {
        if (owner.uid === '') continue;
        const owned = byOwner.get(owner.uid) ?? [];
        owned.push({ type, metadata });
        byOwner.set(owner.uid, owned);
      }
    }
  }
  const seen = new Set<string>(rootUids);
  const counts = new Map<DependentType, number>();
  let total = 0;
  let deeperNotShown = false;
  const childrenOf = (uid: string, depth: number): DependentNode[] => {
    const owned = (byOwner.get(uid) ?? []).filter(({ metadata }) => !seen.has(metadata.uid));
    if (owned.length === 0) return [];
    if (depth > MAX_DEPENDENT_DEPTH) {
      deeperNotShown = true;
      return [];
    }
    owned.sort(compareOwned);
    for (const { metadata } of owned) seen.add(metadata.uid);
    return owned.map(({ type, metadata }) => {
      total++;
      counts.set(type, (counts.get(type) ?? 0) + 1);
      return { type, metadata, children: childrenOf(metadata.uid, depth + 1) };
    });
  };
  const byRoot = new Map(rootUids.map((uid) => [uid, childrenOf(uid, 1)]));
  const ordered = new Map(DEPENDENT_TYPES.filter((t) => counts.has(t)).map((t) => [t, counts.get(t) ?? 0]));
  return { byRoot, total, counts: ordered, deeperNotShown };
}

function compareOwned(a: { type: DependentType; metadata: ObjectMetadata }, b: { type: DependentType; metadata: ObjectMetadata }): number {
  const byType = DEPENDENT_TYPES.indexOf(a.type) - DEPENDENT_TYPES.indexOf(b.type);
  if (byType !== 0) return byType;
  return `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`);
}

/** `2 replicasets and 6 pods`. */
export function describeCounts(counts: ReadonlyMap<DependentType, number>): string {
  const parts = [...counts].map(([type, count]) => countOf(type, count));
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/**
 * Appends dependents as lines indented under their owner (which is at `depth` - 1), while fewer
 * than `room` lines were written; returns how many objects it wrote.
 */
export function renderDependents(
  nodes: readonly DependentNode[],
  depth: number,
  room: number,
  showNamespace: boolean,
  lines: string[],
): number {
  let written = 0;
  const walk = (level: readonly DependentNode[], indent: number): void => {
    for (const node of level) {
      if (written >= room) return;
      const where = showNamespace && node.metadata.namespace !== '' ? `${node.metadata.namespace}/` : '';
      lines.push(`${'  '.repeat(indent)}${node.type.kind} ${where}${node.metadata.name}`);
      written++;
      walk(node.children, indent + 1);
    }
  };
  walk(nodes, depth);
  return written;
}
