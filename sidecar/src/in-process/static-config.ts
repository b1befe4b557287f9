/** A ConfigSource for tests and local runs: the config it was given, replaced with `set`. */
import type { AgentPrincipal, ConfigSource, SidecarConfig } from '../core/ports.ts';

/**
 * Static mode's config always names the pod's principal (the settings file must): no broker is
 * there to verify an agent's own token, so every session is that principal or one of the
 * settings' agent tokens stands for it.
 */
export type StaticSidecarConfig = SidecarConfig & { readonly principal: AgentPrincipal };

export class StaticConfigSource implements ConfigSource {
  #config: SidecarConfig;
  readonly #listeners = new Set<(config: SidecarConfig) => void>();

  constructor(config: SidecarConfig) {
    this.#config = config;
  }

  current(): SidecarConfig {
    return this.#config;
  }

  set(config: SidecarConfig): void {
    this.#config = config;
    for (const listener of this.#listeners) listener(config);
  }

  subscribe(listener: (config: SidecarConfig) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
