/**
 * One verifier for every token an agent presents: the cluster's own service-account issuer is
 * asked with a TokenReview (cluster-token-verifier.ts), every other issuer is verified with its
 * published keys (token-verifier.ts). Both answer a VerifiedToken or throw OidcTokenError, so the
 * mapping to an identity and everything after it does not care which.
 */
import type { ClusterTokenVerifier } from './cluster-token-verifier.ts';
import type { OidcIssuerSettings, OidcTokenVerifier, VerifiedToken } from './token-verifier.ts';

/** What the broker needs from a verifier. */
export interface TokenVerifier {
  /** Throws OidcTokenError. */
  verify(token: string, settings: OidcIssuerSettings): Promise<VerifiedToken>;
  /** Releases connections to issuers. */
  close(): Promise<void>;
}

export class AgentTokenVerifier implements TokenVerifier {
  readonly #oidc: OidcTokenVerifier;
  readonly #cluster: ClusterTokenVerifier | undefined;

  constructor(options: { readonly oidc: OidcTokenVerifier; readonly cluster?: ClusterTokenVerifier }) {
    this.#oidc = options.oidc;
    this.#cluster = options.cluster;
  }

  async verify(token: string, settings: OidcIssuerSettings): Promise<VerifiedToken> {
    if (this.#cluster !== undefined && settings.issuer === (await this.#cluster.issuer())) return this.#cluster.verify(token, settings);
    return this.#oidc.verify(token, settings);
  }

  close(): Promise<void> {
    return this.#oidc.close();
  }
}
