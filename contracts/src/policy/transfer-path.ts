/**
 * The form in which a file operation's paths reach the policy (ssh-match.ts `paths`), the same for
 * every client: SFTP requests, and the scp and rsync commands run on the host. Only what cannot
 * change which file the host opens is removed: repeated `/`, `.` segments and a trailing `/`.
 *
 * `..` is kept as written, never resolved. Resolving it lexically would be wrong whenever the
 * segment before it is a symbolic link (`drop/link/../x` is `<target of link>/../x` on the host,
 * not `drop/x`), so a path that climbs is left for the matcher to refuse (allow) or to treat as
 * any path (deny). A relative path stays relative: it is relative to the login directory, which
 * the policy does not know.
 */

/** `//srv/./drop/` → `/srv/drop`; `./a` → `a`; `` and `./` → `.`; `/` stays `/`. */
export function normalizeTransferPath(raw: string): string {
  const absolute = raw.startsWith('/');
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0) return absolute ? '/' : '.';
  return `${absolute ? '/' : ''}${segments.join('/')}`;
}

const DOT_DOT = /(^|\/)\.\.(\/|$)/;

/** The path has a `..` segment: where it leads depends on the links along the way. */
export function pathClimbs(path: string): boolean {
  return DOT_DOT.test(path);
}
