/**
 * A Target's `spec.recording` as the recorder uses it: the store-failure policy and its two time
 * bounds in milliseconds. The CRD validates the durations (and their ranges) before a Target
 * reaches the sidecar; this parser still refuses what it cannot read, so a corrupt config is an
 * error and never an unbounded wait.
 */

import { durationMs as parseDuration } from '@airlock/contracts/approval';
import { RecordingError } from '@airlock/contracts/recording';
import type { RecordingSettings } from '@airlock/crds';

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

/** The CRD validates durations; a corrupt one is still an error here, never an unbounded wait. */
function durationMs(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new RecordingError('InvalidSettings', `${(error as Error).message} in spec.recording`);
  }
}
