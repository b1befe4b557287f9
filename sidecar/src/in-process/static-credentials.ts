/** A CredentialSource for tests and local runs: credentials by target name, held in memory. */
import type { CredentialSource, PostgresCredentials, TargetConfig } from '../core/ports.ts';

export class StaticCredentialSource implements CredentialSource {
  readonly #postgres: ReadonlyMap<string, PostgresCredentials>;

  constructor(postgres: Readonly<Record<string, PostgresCredentials>>) {
    this.#postgres = new Map(Object.entries(postgres));
  }

  async postgres(target: TargetConfig): Promise<PostgresCredentials> {
    const credentials = this.#postgres.get(target.name);
    if (!credentials) throw new Error(`no credentials for target ${target.name}`);
    return credentials;
  }
}
