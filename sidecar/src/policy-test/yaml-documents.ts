/**
 * The YAML documents of one file, each with a way back from a field path (`spec.rules[0].action`)
 * to its line, so every problem can name the line an author has to fix.
 */
import { type Document, isNode, LineCounter, parseAllDocuments } from 'yaml';
import type { InputProblem } from './errors.ts';

export interface YamlDocument {
  /** 1-based position in the file. */
  readonly index: number;
  /** The line the document's content starts on. */
  readonly line: number;
  readonly value: unknown;
  /** The line of the field at `path`, or of the nearest enclosing field the file has. */
  lineOf(path: string): number;
}

export interface ParsedYaml {
  readonly documents: readonly YamlDocument[];
  readonly problems: readonly InputProblem[];
}

/** Splits `spec.rules[0].action` into `spec`, `rules`, 0, `action`. */
export function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (match === null) {
      segments.push(part);
      continue;
    }
    if (match[1]) segments.push(match[1]);
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

function nodeLine(document: Document, lines: LineCounter, path: string, fallback: number): number {
  const segments = pathSegments(path);
  // Label keys and the like may hold dots, so the full path may not resolve: use the longest prefix that does.
  for (let length = segments.length; length > 0; length--) {
    const node = document.getIn(segments.slice(0, length), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return fallback;
}

export function parseYamlDocuments(file: string, text: string): ParsedYaml {
  const lines = new LineCounter();
  const problems: InputProblem[] = [];
  const documents: YamlDocument[] = [];
  parseAllDocuments(text, { lineCounter: lines }).forEach((document, i) => {
    const index = i + 1;
    const start = document.contents?.range?.[0] ?? document.range[0];
    const line = lines.linePos(start).line;
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        problems.push({
          code: 'InvalidYaml',
          file,
          line: error.linePos?.[0].line ?? line,
          document: index,
          message: `not valid YAML: ${error.message.split('\n')[0]}`,
        });
      }
      return;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // Aliases that expand too far (a "billion laughs" file).
      problems.push({ code: 'InvalidYaml', file, line, document: index, message: `not valid YAML: ${(error as Error).message}` });
      return;
    }
    // A `---` with nothing after it is an empty document; kubectl skips those too.
    if (value === null || value === undefined) return;
    documents.push({ index, line, value, lineOf: (path) => nodeLine(document, lines, path, line) });
  });
  return { documents, problems };
}
