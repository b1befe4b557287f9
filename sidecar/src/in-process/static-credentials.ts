/**
 * A CredentialSource for tests and local runs: credentials by target name, held in memory. The
 * settings file holds username and password, which only postgres targets use.
 */
import type { CredentialSource, PostgresCredentials, TargetConfig, TargetCredentials } from '../core/ports.ts';

export class StaticCredentialSource implements CredentialSource {
  readonly #postgres: ReadonlyMap<string, PostgresCredentials>;

  constructor(postgres: Readonly<Record<string, PostgresCredentials>>) {
    this.#postgres = new Map(Object.entries(postgres));
  }

  async forTarget(target: TargetConfig): Promise<TargetCredentials> {
    if (target.spec.type !== 'postgres')
      throw new Error(`no ${target.spec.type} credentials for target ${target.name}: static credentials are for postgres targets`);
    const credentials = this.#postgres.get(target.name);
    if (!credentials) throw new Error(`no credentials for target ${target.name}`);
    return { type: 'postgres', ...credentials };
  }
}
