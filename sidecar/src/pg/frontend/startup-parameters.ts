/**
 * Which of the agent's startup parameters reach the upstream. `user` and `database` are always
 * the target's; parameters that would change who the session runs as, or open a replication
 * session, are refused outright rather than silently dropped, so the agent learns why.
 */
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
    forward.set(name, value);
  }
  return { ok: true, forward };
}
