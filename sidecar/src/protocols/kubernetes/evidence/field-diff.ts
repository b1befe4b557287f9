/**
 * The field-by-field difference between an object as it is and as the dry run says it would be,
 * ready to show: `spec.replicas: 1 → 5`, `+ metadata.labels.tier: "gold"`, `- spec.paused`.
 *
 * Changes are found on the objects as the API server sent them, and values are shown from the
 * masked objects: so a field the masker hides still shows *that* it changed
 * ("changed (value not shown)"), and never what it was or became. A Secret's data, stringData and
 * the last-applied annotation (which holds a copy of them) are hidden whatever the masker does.
 */
import { type FlatField, flattenObject, formatPath, formatValue, type PathSegment, sameLeaf } from './flatten-object.ts';

export interface FieldChange {
  readonly path: string;
  readonly segments: readonly PathSegment[];
  readonly change: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

/** Fields the API server changes on every write; showing them would bury the real changes. */
const BOOKKEEPING_FIELDS = new Set(['resourceVersion', 'generation', 'managedFields', 'creationTimestamp', 'uid', 'selfLink']);

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Whether a path is bookkeeping (metadata.resourceVersion and the like) rather than a change anyone asked for. */
export function isBookkeeping(segments: readonly PathSegment[]): boolean {
  return segments[0] === 'metadata' && typeof segments[1] === 'string' && BOOKKEEPING_FIELDS.has(segments[1]);
}

/** Changed, then added fields in the new object's order, then removed ones in the old object's order. */
export function diffFields(before: unknown, after: unknown, ignore: (segments: readonly PathSegment[]) => boolean): FieldChange[] {
  const old = flattenObject(before);
  const next = flattenObject(after);
  // An empty map or list that gains entries (or loses its last) is shown by those entries alone.
  const oldParents = parentPaths(old);
  const nextParents = parentPaths(next);
  const changes: FieldChange[] = [];
  for (const [path, field] of next) {
    if (ignore(field.segments)) continue;
    const previous = old.get(path);
    if (previous === undefined) {
      if (!(isEmptyContainer(field.value) && oldParents.has(path)))
        changes.push({ path, segments: field.segments, change: 'added', after: field.value });
    } else if (!sameLeaf(previous.value, field.value)) {
      changes.push({ path, segments: field.segments, change: 'changed', before: previous.value, after: field.value });
    }
  }
  for (const [path, field] of old) {
    if (ignore(field.segments) || next.has(path) || (isEmptyContainer(field.value) && nextParents.has(path))) continue;
    changes.push({ path, segments: field.segments, change: 'removed', before: field.value });
  }
  return changes;
}

/** A leaf that is an object is an empty map or list: flattenObject descends into any other. */
function isEmptyContainer(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

/** Every path that has fields under it. */
function parentPaths(fields: ReadonlyMap<string, FlatField>): Set<string> {
  const parents = new Set<string>();
  for (const field of fields.values()) {
    for (let length = 1; length < field.segments.length; length++) parents.add(formatPath(field.segments.slice(0, length)));
  }
  return parents;
}

/** Whether an object is a core v1 Secret, whose data values are never shown. */
export function isSecret(object: unknown): boolean {
  if (typeof object !== 'object' || object === null) return false;
  const { kind, apiVersion } = object as { kind?: unknown; apiVersion?: unknown };
  return kind === 'Secret' && apiVersion === 'v1';
}

/** Paths of a Secret whose values are never shown: its data, and the annotation that copies it. */
export function isSecretValuePath(segments: readonly PathSegment[]): boolean {
  if (segments[0] === 'data' || segments[0] === 'stringData') return true;
  return segments[0] === 'metadata' && segments[1] === 'annotations' && segments[2] === LAST_APPLIED_ANNOTATION;
}

export interface ShownValues {
  /** The masked objects, flattened: the values that may be shown. */
  readonly maskedBefore: ReadonlyMap<string, FlatField>;
  readonly maskedAfter: ReadonlyMap<string, FlatField>;
  /** Paths whose values are never shown, whatever the masker left (a Secret's data). */
  readonly hidden: (segments: readonly PathSegment[]) => boolean;
}

const NOT_SHOWN = '(value not shown)';

/** One line per change; a value the masker changed or removed is not shown, only that it changed. */
export function renderFieldChange(change: FieldChange, shown: ShownValues): string {
  const hidden = shown.hidden(change.segments);
  // The masked value at the path; absent when the masker removed the field or replaced the structure above it.
  const before = hidden ? undefined : shown.maskedBefore.get(change.path);
  const after = hidden ? undefined : shown.maskedAfter.get(change.path);
  switch (change.change) {
    case 'added':
      return after === undefined ? `+ ${change.path} ${NOT_SHOWN}` : `+ ${change.path}: ${formatValue(after.value)}`;
    case 'removed':
      return `- ${change.path}`;
    case 'changed':
      // A masker may show a changed value differently (last four characters); one that shows both
      // sides the same way tells nothing, and then only the fact of the change is shown.
      if (before === undefined || after === undefined || sameLeaf(before.value, after.value)) {
        return `${change.path}: changed ${NOT_SHOWN}`;
      }
      return `${change.path}: ${formatValue(before.value)} → ${formatValue(after.value)}`;
  }
}

/** One line for a field of a new object. */
export function renderField(path: string, field: FlatField, shown: Pick<ShownValues, 'maskedAfter' | 'hidden'>): string {
  const value = shown.hidden(field.segments) ? undefined : shown.maskedAfter.get(path);
  return value === undefined ? `${path}: ${NOT_SHOWN}` : `${path}: ${formatValue(value.value)}`;
}
