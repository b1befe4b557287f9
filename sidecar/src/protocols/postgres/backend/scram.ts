/**
 * The client half of SCRAM-SHA-256 (RFC 5802 / 7677) as PostgreSQL speaks it, without channel
 * binding. Pure functions over the exchange's messages; the upstream connection moves the bytes.
 * The server's final signature is verified, so a server that does not know the password cannot
 * pretend the login succeeded.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export class ScramError extends Error {
  readonly code = 'ScramFailed';
  constructor(message: string) {
    super(message);
    this.name = 'ScramError';
  }
}

export interface ScramClient {
  readonly clientNonce: string;
  readonly clientFirstMessageBare: string;
  /** SASLInitialResponse data. */
  readonly clientFirstMessage: string;
}

/** PostgreSQL ignores the SCRAM user name (it uses the startup user), so it is empty by default. */
export function scramStart(nonce: string = randomBytes(18).toString('base64'), user = ''): ScramClient {
  const clientFirstMessageBare = `n=${user},r=${nonce}`;
  return { clientNonce: nonce, clientFirstMessageBare, clientFirstMessage: `n,,${clientFirstMessageBare}` };
}

const attributes = (message: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new ScramError(`malformed SCRAM attribute ${JSON.stringify(part.slice(0, 20))}`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
};

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

export interface ScramContinuation {
  /** SASLResponse data. */
  readonly clientFinalMessage: string;
  /** The ServerSignature the server must send back. */
  readonly expectedServerSignature: Buffer;
}

export function scramContinue(client: ScramClient, password: string, serverFirstMessage: string): ScramContinuation {
  const attrs = attributes(serverFirstMessage);
  const nonce = attrs.get('r');
  const salt = attrs.get('s');
  const iterations = Number(attrs.get('i'));
  if (!nonce || !salt || !Number.isInteger(iterations) || iterations < 1)
    throw new ScramError('server-first-message lacks nonce, salt or iteration count');
  if (!nonce.startsWith(client.clientNonce) || nonce.length === client.clientNonce.length) {
    throw new ScramError('server nonce does not extend the client nonce');
  }
  // SASLprep is not applied: PostgreSQL itself falls back to the raw bytes for passwords it cannot normalise.
  const saltedPassword = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, 32, 'sha256');
  const clientKey = hmac(saltedPassword, 'Client Key');
  const storedKey = createHash('sha256').update(clientKey).digest();
  const clientFinalWithoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${client.clientFirstMessageBare},${serverFirstMessage},${clientFinalWithoutProof}`;
  const clientSignature = hmac(storedKey, authMessage);
  const proof = Buffer.alloc(clientKey.length);
  for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
  const serverKey = hmac(saltedPassword, 'Server Key');
  return {
    clientFinalMessage: `${clientFinalWithoutProof},p=${proof.toString('base64')}`,
    expectedServerSignature: hmac(serverKey, authMessage),
  };
}

export function scramVerifyFinal(continuation: ScramContinuation, serverFinalMessage: string): void {
  const attrs = attributes(serverFinalMessage);
  const error = attrs.get('e');
  if (error) throw new ScramError(`server refused the SCRAM proof: ${error}`);
  const signature = Buffer.from(attrs.get('v') ?? '', 'base64');
  if (
    signature.length !== continuation.expectedServerSignature.length ||
    !timingSafeEqual(signature, continuation.expectedServerSignature)
  ) {
    throw new ScramError('server signature does not match: the server does not know the password (or a machine in the middle answered)');
  }
}

/** md5 password hashing as PostgreSQL defines it: "md5" + md5(md5(password + user) + salt). */
export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password).update(user).digest('hex');
  return `md5${createHash('md5').update(inner).update(salt).digest('hex')}`;
}
