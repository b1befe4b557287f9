/**
 * A Target's `spec.recording` as the recorder uses it: the store-failure policy and its two time
 * bounds in milliseconds. The CRD validates the durations (and their ranges) before a Target
 * reaches the sidecar; this parser still refuses what it cannot read, so a corrupt config is an
 * error and never an unbounded wait.
 */
import type { RecordingSettings } from '@airlock/crds';
import { RecordingError } from './errors.ts';

export interface RecorderSettings {
  readonly onStoreFailure: 'Block' | 'Continue';
  /** Block: how long a statement or a new session waits for its records to be stored. */
  readonly blockTimeoutMs: number;
  /** How long a closed session's recorder keeps trying to store what is left. */
  readonly flushTimeoutMs: number;
}

/** The CRD defaults; the sidecar README's table quotes them. */
export const DEFAULT_RECORDER_SETTINGS: RecorderSettings = {
  onStoreFailure: 'Block',
  blockTimeoutMs: 5000,
  flushTimeoutMs: 10_000,
};

export function recorderSettingsFor(recording: RecordingSettings | undefined): RecorderSettings {
  return {
    onStoreFailure: recording?.onStoreFailure ?? DEFAULT_RECORDER_SETTINGS.onStoreFailure,
    blockTimeoutMs: recording?.blockTimeout ? durationMs(recording.blockTimeout) : DEFAULT_RECORDER_SETTINGS.blockTimeoutMs,
    flushTimeoutMs: recording?.flushTimeout ? durationMs(recording.flushTimeout) : DEFAULT_RECORDER_SETTINGS.flushTimeoutMs,
  };
}

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Go-style durations as the CRDs write them (`500ms`, `5s`, `1m30s`) to milliseconds. */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new RecordingError(
      'InvalidSettings',
      `invalid duration ${JSON.stringify(text)} in spec.recording: write it like 500ms, 5s or 1m30s`,
    );
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (UNIT_MS[part[2]!] ?? 0), 0);
}
