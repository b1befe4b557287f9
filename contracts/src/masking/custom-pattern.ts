/**
 * A rule's own `patterns`: RE2 syntax, so matching is linear in the value whatever the author
 * wrote (a pattern like (a+)+$ cannot stall the proxy). Like detectors they mask the spans they
 * match, not the whole value; anchor with ^...$ to mask whole values. A named group `mask`
 * narrows what is masked to that group (when the match took the branch that has it), which
 * stands in for the lookbehind RE2 lacks: `password=(?P<mask>\S+)` masks the password and keeps
 * "password=".
 */
import { RE2JS } from 're2js';
import { appendMatchOrMaskGroup, eachMatch, type SpanFinder } from './span-finder.ts';

export type PatternResult = { ok: true; finder: SpanFinder } | { ok: false; message: string };

const SYNTAX_HELP = 'see https://github.com/google/re2/wiki/Syntax';

export function compilePattern(source: string): PatternResult {
  if (source === '') return { ok: false, message: 'the pattern is empty; write an RE2 expression that matches the text to mask' };
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (error) {
    return { ok: false, message: explain(source, error) };
  }
  const hasMaskGroup = 'mask' in re.namedGroups();
  return {
    ok: true,
    finder: {
      label: source,
      // Arbitrary text can match; only RE2 can tell.
      mayMatch: () => true,
      findSpans(text, out) {
        eachMatch(re, text, (m) => {
          appendMatchOrMaskGroup(m, hasMaskGroup, out);
        });
      },
    },
  };
}

/** RE2's own message names the construct; say what to write instead for the usual PCRE habits. */
function explain(source: string, error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  if (/\(\?<?[=!]/.test(source))
    return `RE2 has no lookahead or lookbehind (${detail}); match the surrounding text too and put the part to mask in a named group (?P<mask>...)`;
  if (/\\[1-9]/.test(source)) return `RE2 has no backreferences (${detail}); match the repeated text explicitly, e.g. with an alternation`;
  return `not a valid RE2 expression: ${detail}; ${SYNTAX_HELP}`;
}
