/**
 * Which of the agent's startup parameters reach the upstream. `user` and `database` are always
 * the target's; parameters that would change who the session runs as, or open a replication
 * session, are refused outright rather than silently dropped, so the agent learns why.
 *
 * Every other parameter is a run-time setting given at connection time, so it is judged the way
 * a SET of it is (sql/setting-kinds.ts): a setting a SET would make more than `session`
 * (search_path, which changes what an unqualified name means to the server; a client encoding or
 * standard_conforming_strings that makes the server read later statements differently from the
 * classifier) is refused, so startup cannot do what policy would stop after it. The settings
 * airlock pins (sql/pinned-settings.ts) are allowed only at their pinned value, with a message
 * that says so: SET cannot change them after connecting either.
 */
import { PINNED_SETTINGS, type PinnedSettingChange, pinnedSettingChange } from '../sql/pinned-settings.ts';
import { settingKinds } from '../sql/setting-kinds.ts';

const REPLACED = new Set(['user', 'database']);
const REFUSED = new Map<string, string>([
  ['replication', 'replication connections are not supported through airlock'],
  ['options', 'the options startup parameter is not allowed through airlock: run SET after connecting (it is checked by policy)'],
  ['role', 'setting role at startup is not allowed through airlock: run SET ROLE after connecting (it is checked by policy)'],
  ['session_authorization', 'setting session_authorization at startup is not allowed through airlock'],
]);

export type StartupParameterVerdict =
  | { readonly ok: true; readonly forward: Map<string, string> }
  | { readonly ok: false; readonly message: string };

export function filterStartupParameters(parameters: ReadonlyMap<string, string>): StartupParameterVerdict {
  const forward = new Map<string, string>();
  for (const [name, value] of parameters) {
    const refused = REFUSED.get(name.toLowerCase());
    if (refused) return { ok: false, message: refused };
    // _pq_.* are protocol extensions the sidecar does not negotiate upstream.
    if (REPLACED.has(name) || name.startsWith('_pq_.')) continue;
    const pinned = pinnedSettingChange(name, { kind: 'literal', text: value });
    if (pinned !== undefined) {
      return {
        ok: false,
        message: `the startup parameter ${name}=${value} is not allowed: airlock pins ${pinned} to ${pinnedValueText(pinned)} so that it reads statements as the server does. Connect without it (the sidecar sets ${pinnedValueText(pinned)})`,
      };
    }
    const kinds = settingKinds(name, { kind: 'literal', text: value });
    if (kinds.length > 0) {
      return {
        ok: false,
        message: `the startup parameter ${name}=${value} is not allowed through airlock (it is ${kinds.join(' and ')} for policy): connect without it and run SET after connecting, where policy decides`,
      };
    }
    forward.set(name, value);
  }
  return { ok: true, forward };
}

function pinnedValueText(setting: PinnedSettingChange): string {
  return setting === '*' ? 'its pinned value' : (PINNED_SETTINGS.get(setting)?.value ?? '');
}
