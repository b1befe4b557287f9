/**
 * What a wrapper program runs (wrappers.ts): its payloads, and the context they run in. Shared by
 * the wrapper tables.
 */
import type { ShellRunAs } from './shell-facts.ts';
import type { WordText } from './word-text.ts';

export type Payload =
  | { readonly kind: 'argv'; readonly argv: readonly WordText[]; readonly context: PayloadContext }
  | { readonly kind: 'script'; readonly script: WordText; readonly context: PayloadContext };

export interface PayloadContext {
  /** How the payload was reached, for `via`: `sudo`, `bash -c`, `find -exec`. */
  readonly via: string;
  readonly runAs?: ShellRunAs;
  readonly assignments?: readonly string[];
}

export interface Unwrapped {
  /** The wrapper is a program of the line itself (find, ssh; or a wrapper given nothing to run). */
  readonly self: boolean;
  readonly payloads: readonly Payload[];
  readonly unknown?: string;
}

export const SELF: Unwrapped = { self: true, payloads: [] };
export const unknown = (reason: string): Unwrapped => ({ self: true, payloads: [], unknown: reason });
export const argv = (argv: readonly WordText[], context: PayloadContext, self = false): Unwrapped => ({
  self,
  payloads: argv.length > 0 ? [{ kind: 'argv', argv, context }] : [],
});

export const isAssignment = (word: WordText): boolean => word.dynamic === undefined && /^[^=]+=/.test(word.text);

/** Shells whose scripts the analysis parses as bash: POSIX sh and its relatives. */
export const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'rbash']);

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
