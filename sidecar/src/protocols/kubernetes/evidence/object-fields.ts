/**
 * The fields of an object the dry run would create, as reviewers read them: flattened paths,
 * values masked, a Secret's data and the last-applied copy of it never shown, the server's
 * bookkeeping left out. At most MAX_FIELD_LINES lines, then how many more there are.
 */

import type { EvidenceContext } from './evidence-context.ts';
import {
  diffFields,
  type FieldChange,
  isBookkeeping,
  isSecret,
  isSecretValuePath,
  renderField,
  renderFieldChange,
  type ShownValues,
} from './field-diff.ts';
import { type FlatField, flattenObject, type PathSegment } from './flatten-object.ts';
import { errorText, type KubeObject } from './upstream-call.ts';

export const MAX_FIELD_LINES = 400;

/** Masks an object; a masker that throws hides every value rather than fail the evidence. */
export function maskedFields(context: EvidenceContext, object: KubeObject | undefined): Map<string, FlatField> {
  if (object === undefined) return new Map();
  try {
    return flattenObject(context.mask(structuredClone(object)));
  } catch (error) {
    context.draft.note(`masking failed (${errorText(error)}); no values are shown`, { incomplete: false });
    return new Map();
  }
}

export function hiddenValues(...objects: readonly (KubeObject | undefined)[]): (segments: readonly PathSegment[]) => boolean {
  const secret = objects.some((object) => isSecret(object));
  return secret ? isSecretValuePath : () => false;
}

export function renderObjectFields(context: EvidenceContext, object: KubeObject, indent = '  '): string[] {
  const lines: string[] = [];
  const shown = { maskedAfter: maskedFields(context, object), hidden: hiddenValues(object) };
  let written = 0;
  let skipped = 0;
  for (const [path, field] of flattenObject(object)) {
    if (isBookkeeping(field.segments) || field.segments[0] === 'status') continue;
    if (written >= MAX_FIELD_LINES) {
      skipped++;
      continue;
    }
    lines.push(`${indent}${renderField(path, field, shown)}`);
    written++;
  }
  if (skipped > 0) lines.push(`${indent}… and ${skipped} more fields`);
  return lines;
}

/**
 * The changes between two objects, rendered. With `status` the status is compared too (the status
 * subresource); otherwise status is left out: a write to the object itself does not change it.
 */
export function renderChanges(
  context: EvidenceContext,
  before: KubeObject,
  after: KubeObject,
  withStatus: boolean,
): { changes: readonly FieldChange[]; lines: readonly string[] } {
  const changes = diffFields(before, after, (segments) => isBookkeeping(segments) || (!withStatus && segments[0] === 'status'));
  const shown: ShownValues = {
    maskedBefore: maskedFields(context, before),
    maskedAfter: maskedFields(context, after),
    hidden: hiddenValues(before, after),
  };
  return { changes, lines: changes.map((change) => renderFieldChange(change, shown)) };
}
