/** One line of a watch stream, parsed, masked and serialized again only when something in it was masked. */
import { parseJson } from './json-text.ts';
import type { MutableCounts } from './mask-counts.ts';
import { maskingDepthGuard } from './masking-depth.ts';
import type { ResourceMasker } from './resource-masker.ts';

/** The masked event's bytes (without the newline), or undefined when nothing in it was masked. */
export function maskEventLine(masker: ResourceMasker, line: Buffer, counts: MutableCounts): Buffer | undefined {
  const event = parseJson(line.toString('utf8'), 'a watch event');
  const masked = maskingDepthGuard(() => masker.maskWatchEvent(event, counts));
  return masked === event ? undefined : Buffer.from(JSON.stringify(masked), 'utf8');
}

/** Blank lines (and a trailing \r) carry no event; they pass as they are. */
export function isJsonWhitespaceOnly(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a) return false;
  return true;
}
