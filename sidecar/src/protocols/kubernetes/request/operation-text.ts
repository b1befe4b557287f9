/**
 * The text of one Kubernetes request as an approval binds it and a recording keeps it. Its first
 * line is the request in kubectl terms (what reviewers read: `delete deployments orders -n
 * prod-eu`, an exec with its command after `--`); then the exact request line, the content type,
 * and the body's SHA-256 and size; then the body itself when it is text short enough to read.
 *
 * The approval digest is computed over this text, so it binds the method, the path and query
 * exactly as sent, the content type and — through the SHA-256 line — every byte of the body, even
 * one too long or too binary to show. What runs after approval is that same request, byte for
 * byte (request-pipeline.ts forwards the body it read, not a re-encoding).
 */
import { createHash } from 'node:crypto';
import type { KubernetesFacts } from '@airlock/contracts/policy';

/** Bodies up to this many bytes are shown in the text (the ApprovalRequest holds 64 KiB of text). */
const SHOWN_BODY_BYTES = 48 * 1024;
const SUMMARY_CHARS = 256;

export interface RequestBytes {
  readonly method: string;
  /** The request-target exactly as sent: path and query. */
  readonly target: string;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** `delete deployments orders -n prod-eu`; an exec or attach adds its command: `exec pods/web-0 -n prod -- sh -c 'ls /'`. */
export function kubectlTerms(facts: Pick<KubernetesFacts, 'text'>, subresource: string | undefined, query: string): string {
  if (subresource !== 'exec') return facts.text;
  const command = commandOf(query);
  return command.length > 0 ? `${facts.text} -- ${command.map(shellWord).join(' ')}` : facts.text;
}

/** The exec's command array, in order, as the API server reads the repeated `command` parameter. */
export function commandOf(query: string): string[] {
  const command: string[] = [];
  for (const pair of query.split('&')) {
    const mark = pair.indexOf('=');
    const key = mark < 0 ? pair : pair.slice(0, mark);
    const value = mark < 0 ? '' : pair.slice(mark + 1);
    if (key !== 'command') continue;
    try {
      command.push(decodeURIComponent(value.replaceAll('+', ' ')));
    } catch {
      command.push(value);
    }
  }
  return command;
}

/**
 * exec, attach and portforward run the same thing whether the client opens them with a WebSocket
 * GET or a SPDY POST, and kubectl falls back from one to the other when the first is refused
 * before it starts. Their request line names both methods, so one approval covers the command
 * on either transport (upgrade-pipeline.ts lets the fallback through once).
 */
const EITHER_METHOD_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward']);

/**
 * `shown` replaces the body as it is shown (a Secret's, with its values masked: secret-body.ts);
 * the SHA-256 line always binds the body as sent.
 */
export function operationText(terms: string, request: RequestBytes, subresource?: string, shown?: string): string {
  const method = subresource !== undefined && EITHER_METHOD_SUBRESOURCES.has(subresource) ? 'GET or POST' : request.method;
  const lines = [terms, `${method} ${request.target}`];
  if (request.body.length > 0 || request.contentType !== undefined) {
    lines.push(`content-type: ${request.contentType ?? '(none)'}`);
    lines.push(`body: sha256:${createHash('sha256').update(request.body).digest('hex')} (${request.body.length} bytes)`);
  }
  const body = request.body.length === 0 ? undefined : (shown ?? shownBody(request.body));
  if (body !== undefined) lines.push('', body.length <= SHOWN_BODY_BYTES ? body : '(body not shown: over 48 KiB)');
  return lines.join('\n');
}

export function operationSummary(terms: string): string {
  return terms.length <= SUMMARY_CHARS ? terms : `${terms.slice(0, SUMMARY_CHARS - 1)}…`;
}

/** The body as text when it is UTF-8 without control characters other than line breaks and tabs, and short enough. */
function shownBody(body: Buffer): string | undefined {
  if (body.length === 0 || body.length > SHOWN_BODY_BYTES) return undefined;
  const text = body.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(body)) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return undefined;
  return text;
}

const PLAIN_WORD = /^[A-Za-z0-9._\-/:=,@+%]+$/;

function shellWord(word: string): string {
  if (PLAIN_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
