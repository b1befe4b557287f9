/**
 * Reads the options of a wrapper program (sudo, env, timeout, ...) the way getopt does, to find
 * where the program it runs starts. Only options the wrapper documents are accepted: an option
 * not in its table could take an argument the scan would then mistake for the program, so it
 * makes the line unknown instead. So does an option the shell fills in at run time.
 */
import type { WordText } from './word-text.ts';

export interface OptionTable {
  /** Short options without an argument: 'Ebn'. */
  readonly flags: string;
  /** Short options that take one: 'upg'. */
  readonly withArgument: string;
  /** Long options (without the dashes) and whether they take an argument ('optional': only as --name=value). */
  readonly long?: Readonly<Record<string, 'flag' | 'argument' | 'optional'>>;
  /** `-` alone is an option (env), not an operand. */
  readonly dashIsOption?: boolean;
  /** Options may follow operands, as GNU getopt permutes them (su); the scan then reads every word. */
  readonly permute?: boolean;
}

export interface ScannedOption {
  /** The short letter or the long name. */
  readonly name: string;
  readonly value?: WordText;
}

export type OptionScan =
  | { readonly ok: true; readonly options: readonly ScannedOption[]; readonly operands: readonly WordText[] }
  | { readonly ok: false; readonly reason: string };

export function scanOptions(program: string, args: readonly WordText[], table: OptionTable): OptionScan {
  const options: ScannedOption[] = [];
  const operands: WordText[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const rest = (): readonly WordText[] => args.slice(i);
    if (arg.dynamic !== undefined) {
      if (operands.length === 0 && !table.permute) return { ok: true, options, operands: rest() };
      return {
        ok: false,
        reason: `an argument of ${program} is filled in at run time (${arg.dynamic}), so where its command starts is unknown`,
      };
    }
    const text = arg.text;
    if (text === '--') return { ok: true, options, operands: [...operands, ...args.slice(i + 1)] };
    if (text === '-' && table.dashIsOption) {
      options.push({ name: '-' });
      continue;
    }
    if (!text.startsWith('-') || text === '-') {
      if (!table.permute) return { ok: true, options, operands: rest() };
      operands.push(arg);
      continue;
    }
    if (text.startsWith('--')) {
      const [name = '', value] = splitOnce(text.slice(2), '=');
      const kind = table.long?.[name];
      if (kind === undefined) return { ok: false, reason: `${program} option --${name} is not one the analysis knows` };
      if (kind === 'flag') {
        if (value !== undefined) return { ok: false, reason: `${program} option --${name} takes no value` };
        options.push({ name });
      } else if (value !== undefined) {
        options.push({ name, value: { text: value, tilde: false } });
      } else if (kind === 'optional') {
        options.push({ name });
      } else {
        const next = args[++i];
        if (next === undefined) return { ok: false, reason: `${program} option --${name} lacks its value` };
        options.push({ name, value: next });
      }
      continue;
    }
    for (let j = 1; j < text.length; j++) {
      const letter = text[j]!;
      if (table.flags.includes(letter)) {
        options.push({ name: letter });
        continue;
      }
      if (!table.withArgument.includes(letter)) return { ok: false, reason: `${program} option -${letter} is not one the analysis knows` };
      const attached = text.slice(j + 1);
      if (attached !== '') {
        options.push({ name: letter, value: { text: attached, tilde: false } });
      } else {
        const next = args[++i];
        if (next === undefined) return { ok: false, reason: `${program} option -${letter} lacks its value` };
        options.push({ name: letter, value: next });
      }
      break;
    }
  }
  return { ok: true, options, operands };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}
