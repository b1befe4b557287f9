/** Target credentials from the broker, fetched for every upstream connection and never kept or logged. */

import { BROKER_PATHS, type CredentialsRequest, type CredentialsResponse } from '@airlock/contracts/broker';
import type { CredentialSource, TargetConfig, TargetCredentials } from '../core/ports.ts';
import type { BrokerClient } from './broker-client.ts';
import { BrokerError } from './errors.ts';

export class BrokerCredentialSource implements CredentialSource {
  readonly #client: BrokerClient;

  constructor(client: BrokerClient) {
    this.#client = client;
  }

  async forTarget(target: TargetConfig): Promise<TargetCredentials> {
    const request: CredentialsRequest = { target: target.name };
    const response = await this.#client.call<CredentialsResponse>('POST', BROKER_PATHS.credentials, request, { idempotent: true });
    // The broker serves postgres credentials only (CredentialsResponse); a new target type adds its case here.
    if (response?.type !== 'postgres' || typeof response.username !== 'string' || typeof response.password !== 'string') {
      throw new BrokerError('BadResponse', `the broker did not send ${target.spec.type} credentials for target ${target.name}`);
    }
    return {
      type: 'postgres',
      username: response.username,
      password: response.password,
      ...(typeof response.caBundle === 'string' ? { caBundle: response.caBundle } : {}),
    };
  }
}
