/**
 * Which run-time settings carry more than `session` when a statement changes them: SET, RESET,
 * set_config(), and writes to the pg_settings view (whose rule calls set_config). `session` alone
 * must never hide a change of rights, so a policy that allows `session` (as the examples do) still
 * stops these. One table for every spelling, so SET and set_config cannot drift apart.
 *
 * Decisions, and why:
 * - role, session_authorization: whose rights the session uses. `privilege`.
 * - session_replication_role: `replica` switches off triggers, rules and with them foreign-key
 *   checks. lo_compat_privileges switches off large-object privilege checks. `privilege`.
 * - search_path: `privilege`. The policy reads an unqualified name as the public schema's (an
 *   `objects: [orders]` rule means public.orders); after `SET search_path = other`, `orders`
 *   names other.orders (and an unqualified function can resolve to another schema's overload), so
 *   a rule written for one table would cover another. RESET search_path, SET SCHEMA 'x' (the same
 *   setting), RESET ALL (which resets it) and set_config('search_path', ...) are judged alike.
 * - standard_conforming_strings and client_encoding change how the server reads the bytes of every
 *   later statement. The classifier reads them as UTF-8 with standard strings, so with
 *   `standard_conforming_strings = off` the text `SELECT '\''; DELETE FROM t; --'` is one SELECT
 *   to the classifier and a SELECT then a DELETE to the server; a multibyte client encoding (SJIS,
 *   BIG5, GBK) can swallow a backslash the same way. `dangerous`, unless the value is the one the
 *   classifier assumes (on; UTF8). The session also refuses such a statement before any policy
 *   (pinned-settings.ts), so this kind is what reviewers and policy tests see, not the defence. DEFAULT, RESET and FROM CURRENT return to the value the session
 *   started with, which the startup checks, ALTER ROLE/DATABASE (privilege, admin) and the server
 *   configuration (admin) control, so they stay `session`.
 * - zero_damaged_pages (a read then zeroes damaged pages: data is lost), allow_system_table_mods
 *   (DDL on the catalogs) and dynamic_library_path (which files LOAD and C functions load):
 *   superuser-only switches of the server's own safety. `admin` and `dangerous`, like ALTER SYSTEM.
 * - A setting name the classifier cannot read (set_config($1, ...), an expression, a pg_settings
 *   write) may be any of the above, so it gets all of their kinds.
 * - Decided against: row_security = off never grants rows (a query a policy would filter fails
 *   instead); transaction_read_only, DateStyle, timeouts, planner and logging settings change how
 *   statements run, not what the classifier saw or whose rights apply. They stay `session`.
 *
 * Names are compared lower-cased: PostgreSQL looks settings up case-insensitively, so
 * `SET "ROLE" = x` sets role.
 */
import type { StatementKind } from './classification.ts';
import { isPinnedSetting, pinnedValueHolds } from './pinned-settings.ts';

/** The value a statement gives a setting, as far as the classifier can read it. */
export type SettingValue =
  | { readonly kind: 'literal'; readonly text: string }
  /** DEFAULT, RESET, FROM CURRENT: the value the session started with (or has). */
  | { readonly kind: 'initial' }
  /** A parameter, an expression, several values. */
  | { readonly kind: 'unreadable' };

const PRIVILEGE = new Set(['role', 'session_authorization', 'session_replication_role', 'lo_compat_privileges', 'search_path']);
const SERVER_SAFETY = new Set(['zero_damaged_pages', 'allow_system_table_mods', 'dynamic_library_path']);

const ANY_SETTING: readonly StatementKind[] = ['privilege', 'admin', 'dangerous'];

/**
 * The kinds, beyond `session`, of giving setting `name` (undefined when unreadable) the value
 * `value`. Empty for plain settings.
 */
export function settingKinds(name: string | undefined, value: SettingValue): readonly StatementKind[] {
  if (name === undefined) return ANY_SETTING;
  const lower = name.toLowerCase();
  if (PRIVILEGE.has(lower)) return ['privilege'];
  if (SERVER_SAFETY.has(lower)) return ['admin', 'dangerous'];
  // The lexing settings are also pinned before policy (pinned-settings.ts); the kind stays so
  // that policy tests and reviewers see the same statement as dangerous.
  if (!isPinnedSetting(lower) || value.kind === 'initial') return [];
  return value.kind === 'literal' && pinnedValueHolds(lower, value.text) ? [] : ['dangerous'];
}

/** Whether the kinds of setting `name` depend on the value (normalized texts must not share them). */
export function settingKindsDependOnValue(name: string | undefined): boolean {
  return name === undefined || isPinnedSetting(name);
}
