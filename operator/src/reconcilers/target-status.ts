/**
 * Target readiness as a pure function of the Target and what its credentials Secret holds
 * (key names only: the reconciler never passes values here, and leaves out keys whose value is
 * empty, which the broker treats as missing). Ready means the broker can hand out credentials
 * built from the keys: one complete alternative, and at most one of each group of exclusive keys
 * (an ssh Secret with two of privateKey, password and certificateAuthorityKey is refused by the
 * broker, so it is not Ready). A ready message names the keys in use when a type has several ways
 * to log in, so the status says which one is configured. A kubernetes Target with
 * serviceAccountName has no Secret: the broker mints a token per pod (TokenRequest), and whether
 * the ServiceAccount exists is checked when it mints, so it is Ready with reason TokenRequest.
 */
import { conflictingKeys, TARGET_TYPE_FACTS } from '@airlock/contracts/targets';
import type { Target } from '@airlock/crds';

export type SecretKeys = { readonly found: false } | { readonly found: true; readonly keys: readonly string[] };

export interface TargetReadiness {
  readonly ready: boolean;
  readonly reason:
    | 'CredentialsPresent'
    | 'NoCredentialsNeeded'
    | 'TokenRequest'
    | 'SecretNotFound'
    | 'KeysMissing'
    | 'KeysConflict'
    | 'CASecretNotFound';
  readonly message: string;
}

/** What a ready status adds about a way of logging in that is not obvious from its key's name. */
const LOGIN_NOTES: Readonly<Record<string, string>> = {
  certificateAuthorityKey: ': the operator signs a short-lived login certificate for each connection',
};

/** Alternatives of required keys per type: any one alternative, all of its keys. */
export function requiredKeys(target: Target): readonly (readonly string[])[] {
  return TARGET_TYPE_FACTS[target.spec.type].credentialKeys(target.spec);
}

/** `a postgres target`, `an ssh target`: the article as the type is read aloud. */
const aTarget = (type: Target['spec']['type']): string => `${type === 'ssh' || type === 'http' ? 'an' : 'a'} ${type} target`;

export function endpointText(target: Target): string {
  return TARGET_TYPE_FACTS[target.spec.type].endpoint(target.spec);
}

export function targetReadiness(target: Target, credentials: SecretKeys | undefined, caSecret?: SecretKeys): TargetReadiness {
  const ref = target.spec.credentialsSecretRef;
  const alternatives = requiredKeys(target);
  const caRef = target.spec.postgres?.tls?.caSecretRef ?? target.spec.http?.tls?.caSecretRef ?? target.spec.kubernetes?.tls?.caSecretRef;
  if (caRef && caSecret && (!caSecret.found || !caSecret.keys.includes(caRef.key))) {
    return {
      ready: false,
      reason: 'CASecretNotFound',
      message: `Secret ${caRef.name} with key ${caRef.key} (tls.caSecretRef) not found: create it with the PEM CA bundle`,
    };
  }
  const serviceAccount = target.spec.kubernetes?.serviceAccountName;
  if (serviceAccount) {
    return {
      ready: true,
      reason: 'TokenRequest',
      message: `Tokens are minted per pod for ServiceAccount ${serviceAccount} (TokenRequest, valid ${target.spec.kubernetes?.tokenTTL ?? '10m'}); no Secret is needed.`,
    };
  }
  if (alternatives.length === 0) return { ready: true, reason: 'NoCredentialsNeeded', message: 'The target needs no credentials.' };
  if (!ref) return { ready: false, reason: 'SecretNotFound', message: 'spec.credentialsSecretRef is not set' };
  if (!credentials?.found) {
    return {
      ready: false,
      reason: 'SecretNotFound',
      message: `Secret ${ref.name} not found in namespace ${target.metadata.namespace}: create it with keys ${alternatives.map((a) => a.join(', ')).join(' or ')}`,
    };
  }
  const have = new Set(credentials.keys);
  const conflict = conflictingKeys(target.spec.type, have);
  if (conflict !== undefined) {
    return {
      ready: false,
      reason: 'KeysConflict',
      message: `Secret ${ref.name} has keys ${conflict.slice(0, -1).join(', ')} and ${conflict.at(-1)}, and ${aTarget(target.spec.type)} logs in with exactly one of them: remove the other${conflict.length > 2 ? 's' : ''}`,
    };
  }
  const complete = alternatives.find((keys) => keys.every((key) => have.has(key)));
  if (complete) {
    // With more than one way to log in, the status says which one the Secret configures.
    const which = alternatives.length > 1 ? ` (${complete.join(', ')}${LOGIN_NOTES[complete.at(-1) ?? ''] ?? ''})` : '';
    return {
      ready: true,
      reason: 'CredentialsPresent',
      message: `Secret ${ref.name} has the keys ${aTarget(target.spec.type)} needs${which}.`,
    };
  }
  // The alternative fewest keys short of complete; on a tie, the one the Secret already began (tls.crt without tls.key).
  const short = (keys: readonly string[]) => keys.filter((k) => !have.has(k)).length;
  const begun = (keys: readonly string[]) => keys.length - short(keys);
  const closest = [...alternatives].sort((a, b) => short(a) - short(b) || begun(b) - begun(a))[0]!;
  const missing = closest.filter((key) => !have.has(key));
  return {
    ready: false,
    reason: 'KeysMissing',
    message: `Secret ${ref.name} lacks key${missing.length === 1 ? '' : 's'} ${missing.join(', ')}${alternatives.length > 1 ? ` (or one of: ${alternatives.map((a) => a.join('+')).join(', ')})` : ''}`,
  };
}
