/**
 * What a reviewer is shown of a held Kubernetes request before deciding: the API server's own
 * answer to the same request sent as a dry run (validated and admitted, stored nowhere). The type
 * is the ApprovalRequest's `spec.evidence` (one schema, in crds); the limits repeat the schema's
 * maxLength/maxItems, and a test checks built evidence against the CRD validator.
 */

import type { Evidence as ApprovalRequestEvidence } from '@airlock/crds';

/**
 * The CRD's `spec.evidence`, with what this builder always sets made required: the text and
 * whether it is complete. `error` is set when the API server refused the dry run (the real
 * request would fail too); `notes` say what could not be previewed and why.
 */
export interface Evidence extends ApprovalRequestEvidence {
  readonly source: 'DryRun';
  readonly text: string;
  readonly complete: boolean;
}

export const SUMMARY_MAX_CHARS = 256;
export const TEXT_MAX_CHARS = 32_768;
export const NOTES_MAX = 8;
export const NOTE_MAX_CHARS = 512;
export const ERROR_MAX_CHARS = 1024;
/** Each value shown in a field line is cut here, so one long annotation does not crowd out the rest. */
export const VALUE_MAX_CHARS = 200;
