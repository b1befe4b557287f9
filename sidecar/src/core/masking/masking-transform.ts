/**
 * A masked byte stream as a Node Transform, for a protocol to put between what a host sends and
 * the agent: `host.stdout.pipe(maskingTransform(plan.open())).pipe(agent)`, one per stream. It adds
 * the one thing the masker leaves to its caller, time: the masker holds back a word that could
 * still become a secret until the next separator, and a shell echoing keystrokes or printing a
 * prompt without a newline would then wait for the next keystroke. After `idleFlushMs` without
 * input the held tail is released as it is (StreamMasker.flushPending; the masker's header says
 * what that costs: a secret split exactly there is masked only from the cut on).
 *
 * Backpressure is the pipe's: the transform holds at most the masker's bound, and a timer release
 * is that much at most.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { StreamMasker } from '@airlock/contracts/masking';

export interface MaskingTransformOptions {
  /** Idle time after which held output is released (default 50 ms: below what a person notices at a prompt). */
  readonly idleFlushMs?: number;
  /** Spans masked, by rule name, each time some were: for the session record and metrics. */
  readonly onMasked?: (counts: Readonly<Record<string, number>>) => void;
}

export const DEFAULT_IDLE_FLUSH_MS = 50;

export function maskingTransform(masker: StreamMasker, options: MaskingTransformOptions = {}): Transform {
  const idleFlushMs = options.idleFlushMs ?? DEFAULT_IDLE_FLUSH_MS;
  let timer: NodeJS.Timeout | undefined;

  const report = (): void => {
    const counts = masker.takeMaskedCounts();
    if (options.onMasked && Object.keys(counts).length > 0) options.onMasked(counts);
  };
  const stopTimer = (): void => {
    clearTimeout(timer);
    timer = undefined;
  };

  const transform = new Transform({
    transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
      stopTimer();
      const out = masker.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      report();
      if (masker.pending > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          if (transform.destroyed) return;
          const tail = masker.flushPending();
          report();
          if (tail.length > 0) transform.push(tail);
        }, idleFlushMs);
        // A held tail alone does not keep the process alive: the connection it came from does.
        timer.unref();
      }
      done(null, out.length > 0 ? out : undefined);
    },
    flush(done: TransformCallback): void {
      stopTimer();
      const rest = masker.flush();
      report();
      done(null, rest.length > 0 ? rest : undefined);
    },
    destroy(error: Error | null, done: (error: Error | null) => void): void {
      stopTimer();
      done(error);
    },
  });
  return transform;
}
