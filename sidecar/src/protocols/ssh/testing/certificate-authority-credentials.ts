/**
 * The broker's answer for a Target whose Secret holds a certificateAuthorityKey, played in-process
 * for tests: a login certificate for the key the sidecar sends, signed with contracts'
 * issueLoginCertificate (what the broker signs with) by a CA key the test holds. Knobs let a test
 * ask for certificates a host must refuse: a clock in the past (expired), another principal.
 */
import type { KeyObject } from 'node:crypto';
import { issueLoginCertificate, type LoginCertificate, readSshPrivateKey } from '@airlock/contracts/ssh-certificates';
import type { AgentPrincipal, CredentialSource, LoginKey, TargetConfig, TargetCredentials } from '../../../core/ports.ts';

export interface CertificateAuthorityOptions {
  /** The CA's private key, as a Secret's certificateAuthorityKey holds it (ssh-keygen's file). */
  readonly privateKey: string;
  /** Milliseconds since the epoch; default Date.now. A time long past signs certificates that have expired. */
  readonly clock?: () => number;
  readonly ttlSeconds?: number;
  /** The principal to sign for instead of the user (a certificate the sidecar must not present). */
  readonly principal?: string;
  /** Told about each certificate signed: one per upstream connect. */
  readonly onIssued?: (issued: LoginCertificate) => void;
}

export class CertificateAuthorityCredentials implements CredentialSource {
  readonly #authority: KeyObject;
  readonly #username: string;
  readonly #principal: AgentPrincipal;
  readonly #options: CertificateAuthorityOptions;

  constructor(username: string, principal: AgentPrincipal, options: CertificateAuthorityOptions) {
    this.#authority = readSshPrivateKey(options.privateKey);
    this.#username = username;
    this.#principal = principal;
    this.#options = options;
  }

  async forTarget(target: TargetConfig, login?: LoginKey): Promise<TargetCredentials> {
    if (!login) throw new Error(`target ${target.name} logs in with certificates: send publicKey and sessionId`);
    const issued = issueLoginCertificate(this.#authority, {
      publicKey: login.publicKey,
      username: this.#options.principal ?? this.#username,
      keyId: {
        namespace: this.#principal.namespace,
        identity: this.#principal.identity,
        pod: this.#principal.pod.name,
        session: login.sessionId,
      },
      ttlSeconds: this.#options.ttlSeconds ?? 300,
      now: (this.#options.clock ?? Date.now)(),
    });
    this.#options.onIssued?.(issued);
    return { type: 'ssh', username: this.#username, certificate: issued.certificate };
  }
}
