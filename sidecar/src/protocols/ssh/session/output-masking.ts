/**
 * The policies' value detectors (keys, tokens, card numbers, e-mail addresses, custom patterns)
 * applied to what a host prints, per channel: one stream masker for stdout and one for stderr
 * (@airlock/contracts masking/stream-masker.ts: correct across chunk boundaries, bounded hold-back,
 * and output that cannot match passes at once), wrapped with the idle release of
 * core/masking/masking-transform.ts. What is masked is what the agent gets and what the recording
 * keeps: the filter sits before the recording's tap (channel-pipe.ts).
 *
 * Colour and other terminal escape sequences the host writes (grep --color, ls --color, prompts)
 * do not hide a secret: the stream masker reads the text through them and keeps them after a mask
 * (contracts masking/terminal-escapes.ts, docs/adr/0031-masking-through-terminal-escapes.md).
 *
 * Column rules have nothing to read in a byte stream; only detector and pattern rules apply. When
 * the session's policies have none, there is no filter and output is piped untouched.
 */

import type { Transform } from 'node:stream';
import type { CompiledRule } from '@airlock/contracts/masking';
import { type StreamMaskingPlan, streamMaskingFor } from '@airlock/contracts/masking';
import { maskingTransform } from '../../../core/masking/masking-transform.ts';

/** Plans by the session context's compiled rules: sessions of one config share the array, so the plan is built once. */
const plans = new WeakMap<readonly CompiledRule[], StreamMaskingPlan | null>();

function planFor(rules: readonly CompiledRule[] | undefined): StreamMaskingPlan | undefined {
  if (!rules) return undefined;
  let plan = plans.get(rules);
  if (plan === undefined) {
    plan = streamMaskingFor(rules) ?? null;
    plans.set(rules, plan);
  }
  return plan ?? undefined;
}

export interface ChannelMasking {
  /** One transform per output stream, for channel-pipe.ts's outputFilter. */
  filter(stream: 'stdout' | 'stderr'): Transform;
  /** Spans masked on this channel so far, by rule name; empty when none were. */
  counts(): Readonly<Record<string, number>>;
}

/** The masking of one channel's output, or undefined when no rule of the session reads values. */
export function channelMasking(
  rules: readonly CompiledRule[] | undefined,
  onMasked: (rule: string, count: number) => void,
): ChannelMasking | undefined {
  const plan = planFor(rules);
  if (!plan) return undefined;
  const total: Record<string, number> = {};
  return {
    filter: () =>
      maskingTransform(plan.open(), {
        onMasked: (counts) => {
          for (const [rule, count] of Object.entries(counts)) {
            total[rule] = (total[rule] ?? 0) + count;
            onMasked(rule, count);
          }
        },
      }),
    counts: () => ({ ...total }),
  };
}
