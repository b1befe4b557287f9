/**
 * Target credentials from the broker, fetched for every upstream connection and never kept or
 * logged. The answer is checked field by field before a protocol sees it: it must be the
 * credentials of the target's own type, complete, with nothing ambiguous (an ssh answer with two
 * of a key, a password and a certificate; a kubernetes answer with a token and a client
 * certificate), or the connection fails closed with BadResponse. A refusal names the field, never
 * its value.
 */

import { BROKER_PATHS, type CredentialsRequest } from '@airlock/contracts/broker';
import { type KubernetesTargetCredentials, type SshTargetCredentials, TARGET_TYPES } from '@airlock/contracts/targets';
import type { AgentPrincipal, CredentialSource, LoginKey, TargetConfig, TargetCredentials } from '../core/ports.ts';
import type { PresentedTokens } from './agent-tokens.ts';
import type { BrokerClient } from './broker-client.ts';
import { BrokerError } from './errors.ts';

type Fields = Readonly<Record<string, unknown>>;

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The credentials the broker's answer holds for `target`; throws BrokerError BadResponse when it holds anything else. */
export function checkedCredentials(target: TargetConfig, response: unknown): TargetCredentials {
  const type = target.spec.type;
  const bad = (what: string) =>
    new BrokerError('BadResponse', `the broker did not send ${type} credentials for target ${target.name}: ${what}`);
  if (!isFields(response)) throw bad('the answer is not a JSON object');
  if (response.type !== type) {
    const sent = TARGET_TYPES.find((known) => known === response.type);
    throw bad(sent === undefined ? 'the answer has no known type' : `the answer is of type ${sent}`);
  }
  /** A non-empty string, or undefined when absent; anything else is refused. */
  const optional = (key: string): string | undefined => {
    const value = response[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') throw bad(`${key} is not a non-empty string`);
    return value;
  };
  const required = (key: string): string => {
    const value = optional(key);
    if (value === undefined) throw bad(`${key} is missing`);
    return value;
  };
  switch (type) {
    case 'postgres': {
      const caBundle = optional('caBundle');
      return {
        type,
        username: required('username'),
        password: required('password'),
        ...(caBundle !== undefined ? { caBundle } : {}),
      };
    }
    case 'ssh': {
      const username = required('username');
      const logins = { privateKey: optional('privateKey'), password: optional('password'), certificate: optional('certificate') };
      const held = Object.entries(logins).filter(([, value]) => value !== undefined);
      if (held.length > 1) throw bad(`it has ${held.map(([key]) => key).join(' and ')}, and the sidecar logs in with one`);
      const [login] = held;
      if (login === undefined) throw bad('it has none of privateKey, password and certificate');
      return { type, username, [login[0]]: login[1] } as SshTargetCredentials;
    }
    case 'kubernetes':
      return kubernetesCredentials(optional, bad);
    case 'http':
      throw bad(`this sidecar takes no ${type} credentials`);
    default: {
      // A new Target type fails to compile here until it has a case.
      const unhandled: never = type;
      throw bad(`this sidecar takes no ${String(unhandled)} credentials`);
    }
  }
}

/** A kubernetes answer: an https server, an optional CA, exactly one login, and an expiry that is a date when given. */
function kubernetesCredentials(
  optional: (key: string) => string | undefined,
  bad: (what: string) => BrokerError,
): KubernetesTargetCredentials {
  const server = optional('server');
  if (server === undefined) throw bad('server is missing');
  if (!isHttpsUrl(server)) throw bad('server is not an https:// URL');
  const caBundle = optional('caBundle');
  const token = optional('token');
  const clientCertificate = optional('clientCertificate');
  const clientKey = optional('clientKey');
  const certificate = clientCertificate !== undefined || clientKey !== undefined;
  if (token !== undefined && certificate) throw bad('it has a token and a client certificate, and the sidecar logs in with one');
  if (token === undefined && !certificate) throw bad('it has neither a token nor clientCertificate and clientKey');
  if (certificate && (clientCertificate === undefined || clientKey === undefined)) {
    throw bad(`${clientCertificate === undefined ? 'clientCertificate' : 'clientKey'} is missing`);
  }
  const expiresAt = optional('expiresAt');
  if (expiresAt !== undefined && Number.isNaN(Date.parse(expiresAt))) throw bad('expiresAt is not a date');
  return {
    type: 'kubernetes',
    server,
    ...(caBundle !== undefined ? { caBundle } : {}),
    ...(token !== undefined ? { token } : { clientCertificate: clientCertificate as string, clientKey: clientKey as string }),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && url.hostname !== '';
  } catch {
    return false;
  }
}

export class BrokerCredentialSource implements CredentialSource {
  readonly #client: Pick<BrokerClient, 'call'>;
  readonly #tokens: PresentedTokens | undefined;

  /** `tokens`: which token a session's principal came from; the broker then answers only for a Target of that token's identity. */
  constructor(client: Pick<BrokerClient, 'call'>, tokens?: PresentedTokens) {
    this.#client = client;
    this.#tokens = tokens;
  }

  async forTarget(target: TargetConfig, login?: LoginKey, principal?: AgentPrincipal): Promise<TargetCredentials> {
    const agentToken = this.#tokens?.tokenOf(principal);
    const request: CredentialsRequest = {
      target: target.name,
      ...(login ? { publicKey: login.publicKey, sessionId: login.sessionId } : {}),
      ...(agentToken === undefined ? {} : { agentToken }),
    };
    const response = await this.#client.call<unknown>('POST', BROKER_PATHS.credentials, request, { idempotent: true });
    return checkedCredentials(target, response);
  }
}
