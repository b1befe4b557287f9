/**
 * The operator's delegation signing key: Ed25519, in one Secret of the operator's namespace so
 * every replica signs and verifies with the same key. The first replica that needs it creates it;
 * a replica that loses the race reads the winner's (create is refused AlreadyExists). A Secret of
 * that name of another type, or without a usable key, is refused rather than overwritten: whoever
 * planted it could otherwise sign sub-agent tokens. Rotation is not automatic: deleting the Secret
 * and restarting the operator makes a new key and voids every delegated token.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { collectionPath, isAlreadyExists, isNotFound, type KubeClient, type KubeObject, objectPath } from '../../kube/client.ts';
import { KINDS } from '../../kube/kinds.ts';

export const DELEGATION_KEY_SECRET = 'airlock-delegation-key';
export const DELEGATION_KEY_TYPE = 'airlock.dev/delegation-key';
const KEY_FIELD = 'ed25519.key';

export interface DelegationKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SHA-256 of the public key (base64url, 16 characters): the JWT header's kid. */
  readonly keyId: string;
}

interface KeySecret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export class DelegationKeyError extends Error {
  readonly code = 'DelegationKeyInvalid';
}

export function keyFromPem(pem: string): DelegationKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new DelegationKeyError('the delegation key is not an Ed25519 key');
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey, keyId: createHash('sha256').update(der).digest('base64url').slice(0, 16) };
}

function keyFromSecret(secret: KeySecret, namespace: string): DelegationKey {
  const where = `Secret ${namespace}/${DELEGATION_KEY_SECRET}`;
  if (secret.type !== DELEGATION_KEY_TYPE) {
    throw new DelegationKeyError(
      `${where} has type ${secret.type ?? '(none)'}, not ${DELEGATION_KEY_TYPE}: delete it so the operator makes its own`,
    );
  }
  const encoded = secret.data?.[KEY_FIELD];
  if (!encoded) throw new DelegationKeyError(`${where} has no ${KEY_FIELD}: delete it so the operator makes a new one`);
  try {
    return keyFromPem(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch (error) {
    throw new DelegationKeyError(
      `${where} holds no usable Ed25519 key (${(error as Error).message}): delete it so the operator makes a new one`,
    );
  }
}

/** Loads the key once (concurrent callers share the load); a failed load is retried on the next call. */
export class DelegationKeys {
  readonly #client: KubeClient;
  readonly #namespace: string;
  #key: Promise<DelegationKey> | undefined;

  constructor(client: KubeClient, namespace: string) {
    this.#client = client;
    this.#namespace = namespace;
  }

  current(): Promise<DelegationKey> {
    this.#key ??= this.#load().catch((error: unknown) => {
      this.#key = undefined;
      throw error;
    });
    return this.#key;
  }

  async #load(): Promise<DelegationKey> {
    const path = objectPath(KINDS.secret, this.#namespace, DELEGATION_KEY_SECRET);
    try {
      return keyFromSecret(await this.#client.get<KeySecret>(path), this.#namespace);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const secret: KeySecret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: DELEGATION_KEY_SECRET, namespace: this.#namespace, labels: { 'app.kubernetes.io/part-of': 'airlock' } },
      type: DELEGATION_KEY_TYPE,
      data: { [KEY_FIELD]: Buffer.from(pem).toString('base64') },
    };
    try {
      return keyFromSecret(await this.#client.create<KeySecret>(collectionPath(KINDS.secret, this.#namespace), secret), this.#namespace);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      return keyFromSecret(await this.#client.get<KeySecret>(path), this.#namespace);
    }
  }
}
