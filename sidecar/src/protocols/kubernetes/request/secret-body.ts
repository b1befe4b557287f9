/**
 * The body of a write to a Secret, as reviewers and recordings may see it: its values masked. An
 * agent that creates or patches a Secret sends the values themselves; the ApprovalRequest and the
 * session recording are read by people and kept for long, and must not become a second copy of
 * every credential an agent wrote. The approval still binds every byte: the operation text
 * carries the body's SHA-256 (operation-text.ts), and what runs is the body as sent.
 *
 * JSON (create, replace, merge and strategic-merge patches) and YAML (server-side apply) are
 * read; a body that is neither is not shown at all.
 */
import { parse } from 'yaml';
import { maskKubernetesObject } from '../masking/response-masking.ts';

const SECRET_REQUEST = { resource: { apiGroup: '', resource: 'secrets', subresource: '', verb: 'update' } } as const;

/** The body to show for a write to a Secret: its values masked, or a note that it is not shown. */
export function shownSecretBody(body: Buffer, contentType: string | undefined): string {
  const text = body.toString('utf8');
  let object: unknown;
  try {
    object = contentType?.includes('yaml') ? parse(text) : JSON.parse(text);
  } catch {
    return `(body not shown: it writes a Secret's values and is not JSON or YAML)`;
  }
  if (typeof object !== 'object' || object === null) return `(body not shown: it writes a Secret's values)`;
  return JSON.stringify(maskKubernetesObject(object, SECRET_REQUEST).object, null, 2);
}
