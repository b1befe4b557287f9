/**
 * The token a sub-agent carries: a JWT the operator signs with its own Ed25519 key and alone
 * verifies. Shaped after RFC 8693: `sub` is the identity whose authority is delegated, `act` nests
 * the actors (the sub-agent presenting it outermost, RFC 8693 §4.1), and an `airlock` claim holds
 * what the broker enforces — namespace, the pod it may be presented from, the narrowed targets,
 * the depth and chain, and the human the root agent acts for (copied from the parent's verified
 * principal, never from the request).
 *
 * Only EdDSA with the current key id verifies; the operator's clock decides expiry (replicas may
 * differ by a few seconds, hence the small skew).
 */
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { OidcTokenError } from '../oidc/oidc-errors.ts';
import type { DelegationKey } from './delegation-key.ts';

/** The `iss` of delegated tokens: not a URL, nothing is discovered from it; only this operator verifies them. */
export const DELEGATION_ISSUER = 'urn:airlock:delegation';
export const DELEGATION_AUDIENCE = 'airlock';
const SKEW_SECONDS = 5;

export interface DelegatedClaims {
  readonly namespace: string;
  /** The AgentIdentity whose authority is delegated (the root agent's). */
  readonly identity: string;
  /** The pod the token may be presented from: the parent's. */
  readonly podUid: string;
  readonly targets: readonly string[];
  readonly depth: number;
  readonly chain: readonly string[];
  readonly onBehalfOf?: string;
  /** Issuer of the root agent's own token, when it had one. */
  readonly rootIssuer?: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
  readonly issuedAt: number;
  readonly tokenId: string;
}

interface AirlockClaim {
  ns: string;
  identity: string;
  pod: string;
  targets: string[];
  depth: number;
  chain: string[];
  onBehalfOf?: string;
  rootIssuer?: string;
}

/** RFC 8693 `act`: the last actor outermost, each earlier one nested inside. */
export function actClaim(chain: readonly string[]): Record<string, unknown> | undefined {
  let act: Record<string, unknown> | undefined;
  for (const actor of chain) act = act === undefined ? { sub: actor } : { sub: actor, act };
  return act;
}

export async function mintDelegatedToken(
  key: DelegationKey,
  claims: Omit<DelegatedClaims, 'issuedAt' | 'tokenId'>,
  nowSeconds: number,
): Promise<{ readonly token: string; readonly tokenId: string }> {
  const tokenId = randomUUID();
  const airlock: AirlockClaim = {
    ns: claims.namespace,
    identity: claims.identity,
    pod: claims.podUid,
    targets: [...claims.targets],
    depth: claims.depth,
    chain: [...claims.chain],
    ...(claims.onBehalfOf === undefined ? {} : { onBehalfOf: claims.onBehalfOf }),
    ...(claims.rootIssuer === undefined ? {} : { rootIssuer: claims.rootIssuer }),
  };
  const token = await new SignJWT({ airlock, act: actClaim(claims.chain) })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId, typ: 'JWT' })
    .setIssuer(DELEGATION_ISSUER)
    .setAudience(DELEGATION_AUDIENCE)
    .setSubject(claims.identity)
    .setIssuedAt(Math.floor(nowSeconds))
    .setExpirationTime(Math.floor(claims.expiresAt))
    .setJti(tokenId)
    .sign(key.privateKey);
  return { token, tokenId };
}

/** Throws OidcTokenError (the codes the agent sees for any token). */
export async function verifyDelegatedToken(key: DelegationKey, token: string, nowSeconds: number): Promise<DelegatedClaims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: ['EdDSA'],
      issuer: DELEGATION_ISSUER,
      audience: DELEGATION_AUDIENCE,
      currentDate: new Date(nowSeconds * 1000),
      clockTolerance: SKEW_SECONDS,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new OidcTokenError('Expired', 'the delegated token expired: ask the parent agent for a new one');
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      throw new OidcTokenError('UnsupportedAlgorithm', 'a delegated token is signed with EdDSA by the operator, and with nothing else');
    }
    throw new OidcTokenError(
      'BadSignature',
      'the delegated token does not verify with the operator’s delegation key (altered, or made by someone else): ask the parent agent for a new one',
      { cause: error },
    );
  }
  const airlock = payload.airlock as Partial<AirlockClaim> | undefined;
  if (
    !airlock ||
    typeof airlock.ns !== 'string' ||
    typeof airlock.identity !== 'string' ||
    airlock.identity !== payload.sub ||
    typeof airlock.pod !== 'string' ||
    !Array.isArray(airlock.targets) ||
    typeof airlock.depth !== 'number' ||
    !Array.isArray(airlock.chain) ||
    airlock.chain.length !== airlock.depth
  ) {
    throw new OidcTokenError('Malformed', 'the delegated token lacks the airlock claim the operator puts in it');
  }
  return {
    namespace: airlock.ns,
    identity: airlock.identity,
    podUid: airlock.pod,
    targets: airlock.targets.filter((t): t is string => typeof t === 'string'),
    depth: airlock.depth,
    chain: airlock.chain.filter((c): c is string => typeof c === 'string'),
    ...(typeof airlock.onBehalfOf === 'string' ? { onBehalfOf: airlock.onBehalfOf } : {}),
    ...(typeof airlock.rootIssuer === 'string' ? { rootIssuer: airlock.rootIssuer } : {}),
    expiresAt: payload.exp as number,
    issuedAt: payload.iat as number,
    tokenId: payload.jti as string,
  };
}
