/**
 * The digest an approval is bound to: SHA-256 over the exact statement text, the bound parameter
 * values (bytes and format), the target, the identity and — for protocols where one text can be
 * several kinds of request (SSH: `exec sftp` and `subsystem sftp`) — the request kind.
 * Length-prefixed fields, so no two different inputs share an encoding; an operation with a kind
 * is hashed under its own tag (v2), so it never shares a digest with one without (SQL's v1). The
 * sidecar releases a held command only when the digest of what it is about to send equals the
 * approved one.
 */
import { createHash } from 'node:crypto';

export interface DigestInput {
  /** SSH: exec, shell, subsystem, port-forward. Absent for SQL, where a statement is the only kind. */
  readonly kind?: string;
  readonly text: string;
  readonly parameters?: readonly { readonly value: Buffer | null; readonly format: 0 | 1 }[];
  readonly target: { readonly namespace: string; readonly name: string };
  readonly identity: { readonly namespace: string; readonly name: string };
}

export function operationDigest(input: DigestInput): string {
  const hash = createHash('sha256');
  const field = (bytes: Buffer): void => {
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(bytes.length));
    hash.update(length).update(bytes);
  };
  if (input.kind === undefined) field(Buffer.from('airlock-operation-v1'));
  else {
    field(Buffer.from('airlock-operation-v2'));
    field(Buffer.from(input.kind));
  }
  field(Buffer.from(`${input.target.namespace}/${input.target.name}`));
  field(Buffer.from(`${input.identity.namespace}/${input.identity.name}`));
  field(Buffer.from(input.text));
  const parameters = input.parameters ?? [];
  field(Buffer.from(String(parameters.length)));
  for (const parameter of parameters) {
    field(Buffer.from([parameter.value === null ? 2 : parameter.format]));
    if (parameter.value !== null) field(parameter.value);
  }
  return `sha256:${hash.digest('hex')}`;
}
