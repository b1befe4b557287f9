/** RFC 6902 JSON Patch, as much of it as admission responses need. */

export type JsonPatchOp =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

/** RFC 6901: `~` → `~0`, `/` → `~1` (in that order), so `airlock.dev/injected` → `airlock.dev~1injected`. */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...tokens: readonly (string | number)[]): string {
  return tokens.map((token) => `/${pointerToken(String(token))}`).join('');
}
