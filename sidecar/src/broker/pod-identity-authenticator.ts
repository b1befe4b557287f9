/**
 * Pod identity in broker mode: every connection on the pod's loopback is the pod's principal, as
 * the broker authenticated the pod (the config's principal). No password is asked for.
 */
import type { AgentAuthenticator, AgentPrincipal, ConfigSource } from '../core/ports.ts';

export class PodIdentityAuthenticator implements AgentAuthenticator {
  readonly #config: ConfigSource;

  constructor(config: ConfigSource) {
    this.#config = config;
  }

  requiresToken(): boolean {
    return false;
  }

  async authenticate(): Promise<AgentPrincipal> {
    return this.#config.current().principal;
  }
}
