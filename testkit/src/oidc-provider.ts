/**
 * A real OpenID Connect provider for tests: `oidc-provider` (the certified Node implementation) on
 * 127.0.0.1, a random port, over HTTPS with a certificate from a test CA — so the code under test
 * does discovery, fetches keys and verifies signatures exactly as against a company issuer or a CI
 * system, trusting the CA the way an AgentIdentity's `oidc.caBundle` says.
 *
 * Tokens are real issuance: the client-credentials grant, with the access token as a JWT for the
 * resource server `airlock` (features.clientCredentials + resourceIndicators, accessTokenFormat
 * jwt), signed by the provider with its current key. The claims a test wants — a CI job's
 * (`repository`, `ref`, `job_workflow_ref`, `sub`), a delegation's `act`, nested or list claims —
 * and the times (`iat`, `nbf`, `exp`) and audience are put on that token by the provider's JWT
 * customizer (formats.customizers.jwt), which reads them from a request header only this harness
 * sends. The customizer rather than extraTokenClaims, because extraTokenClaims cannot set the
 * registered claims (sub, aud, iat, nbf, exp) that the failure tests need to control.
 *
 * `signToken()` signs what a test writes with the provider's key, for shapes the provider never
 * issues (no iat, no kid). `rotateKeys()` replaces the provider behind the same address with one whose key set holds only a
 * new key, as an issuer that rotated and dropped the old key. Requests are counted per path, so a
 * test can tell how often the key set was fetched.
 */
import { createPrivateKey, generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import { listen } from '@airlock/runtime';
import { SignJWT } from 'jose';
import Provider, { type AdapterPayload, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { HarnessError } from './errors.ts';
import { type CertificateAuthority, createCertificateAuthority, issueServingCertificate } from './pki.ts';

/** The audience the provider's tokens carry unless a test asks for another. */
export const OIDC_TEST_AUDIENCE = 'airlock';
const CLIENT_ID = 'airlock-test-client';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
/** The resource indicator of the client-credentials grant; the token's aud comes from the options. */
const RESOURCE = 'urn:airlock:test';
const OPTIONS_HEADER = 'x-airlock-test-token';

export interface OidcProviderOptions {
  /** The CA that signs the provider's certificate; a new one when absent. */
  readonly ca?: CertificateAuthority;
}

export interface IssueTokenOptions {
  /** The aud claim (default `airlock`). */
  readonly audience?: string | readonly string[];
  /** Seconds since the epoch (default now). */
  readonly issuedAt?: number;
  /** Seconds since the epoch (default issuedAt + 300). */
  readonly expiresAt?: number;
  /** Seconds since the epoch (default: no nbf claim). */
  readonly notBefore?: number;
}

interface TokenRequestOptions {
  readonly claims: Record<string, unknown>;
  readonly options: IssueTokenOptions;
}

interface SigningKey {
  readonly privateJwk: Record<string, unknown>;
  readonly publicKeyPem: string;
  readonly kid: string;
}

function newSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  return {
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' },
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    kid,
  };
}

function applyTokenOptions(ctx: KoaContextWithOIDC, parts: { header?: Record<string, unknown>; payload: Record<string, unknown> }): void {
  const encoded = ctx.get(OPTIONS_HEADER);
  if (!encoded) return;
  const { claims, options } = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as TokenRequestOptions;
  const payload = parts.payload;
  payload.aud = options.audience ?? OIDC_TEST_AUDIENCE;
  if (options.issuedAt !== undefined) payload.iat = options.issuedAt;
  payload.exp = options.expiresAt ?? (payload.iat as number) + 300;
  if (options.notBefore !== undefined) payload.nbf = options.notBefore;
  // Claims come last so a test can replace any claim; null takes one out (a token without exp, sub, iat).
  for (const [name, value] of Object.entries(claims)) {
    if (value === null) delete payload[name];
    else payload[name] = value;
  }
}

/**
 * The provider's storage: a Map per model, like its built-in development adapter, which would
 * announce itself on the console.
 */
function mapAdapter(): NonNullable<Configuration['adapter']> {
  const stores = new Map<string, Map<string, AdapterPayload>>();
  return class MapAdapter {
    readonly #store: Map<string, AdapterPayload>;
    constructor(model: string) {
      this.#store = stores.get(model) ?? new Map<string, AdapterPayload>();
      stores.set(model, this.#store);
    }
    async upsert(id: string, payload: AdapterPayload): Promise<void> {
      this.#store.set(id, payload);
    }
    async find(id: string): Promise<AdapterPayload | undefined> {
      return this.#store.get(id);
    }
    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return [...this.#store.values()].find((payload) => payload.userCode === userCode);
    }
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return [...this.#store.values()].find((payload) => payload.uid === uid);
    }
    async consume(id: string): Promise<void> {
      const payload = this.#store.get(id);
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string): Promise<void> {
      this.#store.delete(id);
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [id, payload] of this.#store) if (payload.grantId === grantId) this.#store.delete(id);
    }
  };
}

function providerConfiguration(key: SigningKey): Configuration {
  return {
    adapter: mapAdapter(),
    ttl: { ClientCredentials: 300 },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [key.privateJwk as never] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: '',
          audience: OIDC_TEST_AUDIENCE,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    formats: { customizers: { jwt: (ctx, _token, parts) => applyTokenOptions(ctx, parts as never) } },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  };
}

export class OidcProvider {
  readonly issuer: string;
  /** The PEM of the CA that signed the provider's certificate: what an identity's caBundle holds. */
  readonly caPem: string;
  readonly #server: Server;
  readonly #requests = new Map<string, number>();
  #provider: Provider;
  #key: SigningKey;
  #stopped = false;

  private constructor(server: Server, issuer: string, caPem: string) {
    this.#server = server;
    this.issuer = issuer;
    this.caPem = caPem;
    this.#key = newSigningKey();
    this.#provider = new Provider(issuer, providerConfiguration(this.#key));
  }

  static async start(options: OidcProviderOptions = {}): Promise<OidcProvider> {
    const ca = options.ca ?? (await createCertificateAuthority('airlock test OIDC CA'));
    const serving = await issueServingCertificate(ca, '127.0.0.1', { ips: ['127.0.0.1'] });
    let instance: OidcProvider | undefined;
    const server = createServer({ key: serving.keyPem, cert: serving.certPem }, (request, response) => {
      if (!instance) {
        response.writeHead(503).end();
        return;
      }
      const path = new URL(request.url ?? '/', 'https://127.0.0.1').pathname;
      instance.#requests.set(path, (instance.#requests.get(path) ?? 0) + 1);
      void instance.#provider.callback()(request, response);
    });
    const port = await listen(server, 0, '127.0.0.1');
    instance = new OidcProvider(server, `https://127.0.0.1:${port}`, ca.certPem);
    return instance;
  }

  /** Where the provider publishes its keys (from its discovery document). */
  get jwksURL(): string {
    return `${this.issuer}/jwks`;
  }

  /** The public key tokens are signed with now, as PEM (the classic HS256 confusion uses these bytes). */
  get publicKeyPem(): string {
    return this.#key.publicKeyPem;
  }

  /** The kid of the current signing key. */
  get keyId(): string {
    return this.#key.kid;
  }

  /** How many requests the provider received for this path (for example new URL(jwksURL).pathname). */
  requestCount(path: string): number {
    return this.#requests.get(path) ?? 0;
  }

  /**
   * A JWT access token from the client-credentials grant, carrying `claims` on top of the
   * provider's own (iss, jti, client_id, iat, exp; sub defaults to the client id). A claim given
   * here replaces the provider's; a claim given as null is left out of the token.
   */
  async issueToken(claims: Record<string, unknown> = {}, options: IssueTokenOptions = {}): Promise<string> {
    if (this.#stopped) throw new HarnessError('OidcProviderStopped', 'the OIDC provider was stopped: start another to issue tokens');
    const body = new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE }).toString();
    const requestOptions: TokenRequestOptions = { claims, options };
    const answer = await this.#post('/token', body, {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      [OPTIONS_HEADER]: Buffer.from(JSON.stringify(requestOptions)).toString('base64url'),
    });
    const token = (answer as { access_token?: unknown }).access_token;
    if (typeof token !== 'string')
      throw new HarnessError('OidcTokenRequestFailed', `the provider issued no access token: ${JSON.stringify(answer)}`);
    return token;
  }

  /**
   * A JWT signed with the provider's current key (RS256, its kid unless the header replaces it) but
   * not issued by it: for shapes the provider never issues, such as a token without iat.
   */
  async signToken(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const key = createPrivateKey({ key: this.#key.privateJwk as JsonWebKey, format: 'jwk' });
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: this.#key.kid, ...header }).sign(key);
  }

  /** A new signing key; the old one is dropped from the key set, as after a rotation. */
  rotateKeys(): void {
    this.#key = newSigningKey();
    this.#provider = new Provider(this.issuer, providerConfiguration(this.#key));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #post(path: string, body: string, headers: Record<string, string>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        `${this.issuer}${path}`,
        {
          method: 'POST',
          ca: this.caPem,
          agent: false,
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              const parsed = JSON.parse(text) as unknown;
              if (response.statusCode !== 200)
                reject(new HarnessError('OidcTokenRequestFailed', `POST ${path}: HTTP ${response.statusCode} ${text}`));
              else resolve(parsed);
            } catch {
              reject(
                new HarnessError('OidcTokenRequestFailed', `POST ${path}: HTTP ${response.statusCode}, not JSON: ${text.slice(0, 200)}`),
              );
            }
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }
}
