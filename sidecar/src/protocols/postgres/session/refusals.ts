/**
 * What the session refuses before any policy is asked, because no policy can make it safe: a
 * statement that would make the server read later bytes differently from the classifier (a
 * pinned setting, sql/pinned-settings.ts), text that is not valid UTF-8, which the classifier
 * would only see with replacement characters (docs/adr/0014-pinned-lexing-settings.md), and a
 * PREPARE of a name the session already holds, which the server refuses while keeping the old
 * statement — had the sidecar let it through, it would decide a later EXECUTE by the new text
 * while the server ran the old one. Audit mode does not let these through either.
 */
import type { PinnedSettingChange } from '../sql/pinned-settings.ts';
import { SQLSTATE } from './denials.ts';

/** The ErrorResponse fields of a refusal; the session prefixes the message with "airlock: ". */
export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

/** SQLSTATE 22021, as PostgreSQL answers text that is invalid in the client encoding. */
const CHARACTER_NOT_IN_REPERTOIRE = '22021';

const WHY =
  'airlock classifies each statement as UTF-8 text with standard-conforming strings, so the server must read the bytes the same way';

export function pinnedSettingRefusal(change: PinnedSettingChange): Refusal {
  switch (change) {
    case 'client_encoding':
      return {
        code: SQLSTATE.featureNotSupported,
        message: 'client_encoding is pinned to UTF8 by airlock: the statement that changes it was refused before policy',
        hint: `${WHY}. Keep client_encoding UTF8 and convert text in the client, or in SQL with convert_to() and convert_from().`,
      };
    case 'standard_conforming_strings':
      return {
        code: SQLSTATE.featureNotSupported,
        message: 'standard_conforming_strings is pinned to on by airlock: the statement that changes it was refused before policy',
        hint: `${WHY}. Keep it on and write backslash escapes in E'...' strings.`,
      };
    case '*':
      return {
        code: SQLSTATE.featureNotSupported,
        message:
          'the statement names a setting only at run time (set_config with a name that is not a literal, or a write to pg_settings), so it could change client_encoding or standard_conforming_strings, which airlock pins: refused before policy',
        hint: `${WHY}. Name the setting as a string literal, for example set_config('work_mem', $1, false), or use SET.`,
      };
  }
}

export const NOT_UTF8_REFUSAL: Refusal = {
  code: CHARACTER_NOT_IN_REPERTOIRE,
  message: 'the statement text is not valid UTF-8: refused before policy',
  hint: `${WHY}, and client_encoding is pinned to UTF8. Send the statement text as UTF-8.`,
};

/** SQLSTATE 42P05, as PostgreSQL answers a PREPARE of a name that exists. */
const DUPLICATE_PREPARED_STATEMENT = '42P05';

export function duplicatePrepareRefusal(name: string): Refusal {
  return {
    code: DUPLICATE_PREPARED_STATEMENT,
    message: `prepared statement "${name}" already exists in this session: refused before policy`,
    hint: `DEALLOCATE ${name} first, or PREPARE under another name.`,
  };
}
