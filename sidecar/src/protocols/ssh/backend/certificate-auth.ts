/**
 * Logging in to the host with an OpenSSH user certificate through ssh2, which has no certificate
 * support (ssh2 1.17). A certificate login is a publickey login (RFC 4252 §7) whose algorithm name
 * and key blob are the certificate's (`ssh-ed25519-cert-v01@openssh.com`), signed by the plain
 * ed25519 key with a signature named `ssh-ed25519` (OpenSSH PROTOCOL.certkeys; sshd's
 * ssh_ed25519_verify refuses a signature under any other name).
 *
 * ssh2 gets halfway: given a key object whose type and public blob are the certificate's, it sends
 * the query ("would you accept this key?") exactly right. It cannot send the signed request: its
 * Protocol.authPK writes one algorithm name for both the request and the signature, so the
 * signature would be named after the certificate and sshd would refuse it. So, for this one
 * connection, the signed request is written here instead of by authPK.
 *
 * Why that is safe:
 * - Only this connection's Protocol object is touched, and only for the one key object made here:
 *   any other key, every other connection and the agent-facing ssh2 server are ssh2's alone. No file
 *   or prototype of ssh2 is changed.
 * - The request is the RFC's, built field by field as authPK builds it; the signature covers the
 *   session identifier, so it is good for this connection only.
 * - It goes out through ssh2's own packet writer and sendPacket, so encryption, sequence numbers
 *   and holding packets back during a re-key stay ssh2's.
 * - It relies on internals of ssh2 1.17 (the package is pinned): `_kex.sessionID`, `_packetRW.write`,
 *   `_authsQueue` and lib/protocol/utils.js's sendPacket. Each is checked before the connection
 *   logs in, and a missing one fails the login with a message rather than falling back to
 *   anything; the certificate tests against a real sshd fail if they change.
 */
import { type KeyObject, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { ED25519, ED25519_CERTIFICATE, sshString } from '@airlock/contracts/ssh-certificates';
import ssh2, { type AuthMethod, type Client } from 'ssh2';

export interface CertificateLogin {
  readonly username: string;
  /** The certificate blob: what the base64 of its line decodes to. */
  readonly certificate: Buffer;
  /** The ed25519 public key line of `key`, as the certificate certifies it. */
  readonly publicKey: string;
  /** The ed25519 private key the certificate certifies. */
  readonly key: KeyObject;
}

type SignCallback = (data: Buffer, done: (signature: Buffer) => void) => void;

/** The parts of ssh2's Protocol (lib/protocol/Protocol.js) a certificate login uses. */
interface Ssh2Protocol {
  authPK(username: string, key: unknown, keyAlgo?: string | SignCallback, sign?: SignCallback): void;
  _kex?: { sessionID?: Buffer };
  _packetRW?: { write?: { allocStart: number; alloc(length: number): Buffer; finalize(packet: Buffer): Buffer } };
  _authsQueue?: string[];
}

type SendPacket = (protocol: Ssh2Protocol, packet: Buffer) => void;

const USERAUTH_REQUEST = 50;

let sendPacketOf: SendPacket | undefined;
function ssh2SendPacket(): SendPacket {
  if (sendPacketOf) return sendPacketOf;
  const utils = createRequire(import.meta.url)('ssh2/lib/protocol/utils.js') as { sendPacket?: unknown };
  if (typeof utils.sendPacket !== 'function') throw unsupported('lib/protocol/utils.js has no sendPacket');
  sendPacketOf = utils.sendPacket as SendPacket;
  return sendPacketOf;
}

/** `level` is how ssh2 tags its errors; upstream-connect.ts reads this one as a certificate login that could not be made. */
function unsupported(what: string): Error & { readonly level: string } {
  return Object.assign(new Error(`this ssh2 cannot log in with a certificate (${what}); the sidecar needs ssh2 1.17`), {
    level: 'client-certificate',
  });
}

/**
 * The publickey method that offers `login`'s certificate, to pass in connect()'s authHandler, and
 * the step that teaches `client` to sign it: call install(client) right after client.connect(),
 * before the handshake reaches authentication. Throws when ssh2 lacks what this needs.
 */
export function certificateAuth(login: CertificateLogin): { readonly method: AuthMethod; install(client: Client): void } {
  const parsed = ssh2.utils.parseKey(login.publicKey);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.type !== ED25519) {
    throw new Error(`the sidecar's login key is not an ${ED25519} key ssh2 can read`);
  }
  // A parsed key object of ssh2's (so its parseKey takes it as one) that says it is the certificate.
  const offered = Object.create(parsed, {
    type: { value: ED25519_CERTIFICATE },
    getPublicSSH: { value: () => login.certificate },
    isPrivateKey: { value: () => true },
    // Never called: the signed request is written by the override below, which signs itself.
    sign: { value: () => new Error('the certificate login signs its request itself') },
  }) as object;
  const method = { type: 'publickey', username: login.username, key: offered } as unknown as AuthMethod;
  const install = (client: Client): void => {
    const protocol = (client as unknown as { _protocol?: Ssh2Protocol })._protocol;
    if (!protocol || typeof protocol.authPK !== 'function') throw unsupported('the client has no protocol after connect()');
    const sendPacket = ssh2SendPacket();
    const original = protocol.authPK.bind(protocol);
    protocol.authPK = (username, key, keyAlgo, signer) => {
      const signs = typeof keyAlgo === 'function' || typeof signer === 'function';
      // The query, and every other key: ssh2's own request is right.
      if (key !== offered || !signs) {
        original(username, key, keyAlgo, signer);
        return;
      }
      sendSignedRequest(protocol, sendPacket, username, login);
    };
  };
  return { method, install };
}

function sendSignedRequest(protocol: Ssh2Protocol, sendPacket: SendPacket, username: string, login: CertificateLogin): void {
  const sessionId = protocol._kex?.sessionID;
  const writer = protocol._packetRW?.write;
  const queue = protocol._authsQueue;
  if (!sessionId || !writer || !Array.isArray(queue)) {
    // Thrown inside ssh2's message handler: ssh2 turns it into a connection error, and the login fails.
    throw unsupported('the protocol lacks its session id, packet writer or auth queue');
  }
  const request = Buffer.concat([
    Buffer.from([USERAUTH_REQUEST]),
    sshString(username),
    sshString('ssh-connection'),
    sshString('publickey'),
    Buffer.from([1]),
    sshString(ED25519_CERTIFICATE),
    sshString(login.certificate),
  ]);
  const signature = sign(null, Buffer.concat([sshString(sessionId), request]), login.key);
  const payload = Buffer.concat([request, sshString(Buffer.concat([sshString(ED25519), sshString(signature)]))]);
  const start = writer.allocStart;
  const packet = writer.alloc(payload.length);
  payload.copy(packet, start);
  // What authPK records for a signed request: the answer (success or failure) is matched to it.
  queue.push('publickey');
  sendPacket(protocol, writer.finalize(packet));
}
