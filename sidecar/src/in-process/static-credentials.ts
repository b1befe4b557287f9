/**
 * A CredentialSource for tests and local runs: credentials by target name, held in memory, as
 * the settings file gives them (untagged: what the target's type logs in with).
 * Each is typed by its target when asked for, and refused when it does not fit the type: a
 * postgres target needs a username and a password; an ssh target a username and exactly one of
 * privateKey and password; a kubernetes target the https server the sidecar reaches (a local
 * cluster's, in a dev run) and a bearer token. An http target has no static credentials.
 */
import type { TargetType } from '@airlock/contracts/targets';
import type { CredentialSource, TargetConfig, TargetCredentials } from '../core/ports.ts';

/** One target's credentials as a settings file or a test fixture writes them. */
export interface StaticCredentials {
  /** postgres and ssh: who the sidecar logs in as. */
  readonly username?: string;
  readonly password?: string;
  /** ssh: the private key, OpenSSH or PEM, unencrypted. */
  readonly privateKey?: string;
  /** postgres and kubernetes: the PEM CA bundle. */
  readonly caBundle?: string;
  /** kubernetes: the API server's https URL, as the sidecar reaches it. */
  readonly server?: string;
  /** kubernetes: the bearer token the sidecar logs in with. */
  readonly token?: string;
}

/** The credentials of a target of `type`, or what keeps them from being that. Pure. */
export function typedCredentials(type: TargetType, entry: StaticCredentials): TargetCredentials | { readonly problem: string } {
  const { username, password, privateKey, caBundle, server, token } = entry;
  switch (type) {
    case 'postgres':
      if (privateKey !== undefined) return { problem: 'privateKey is for ssh targets; a postgres target logs in with password' };
      if (server !== undefined || token !== undefined) {
        return {
          problem: `${server !== undefined ? 'server' : 'token'} is for kubernetes targets; a postgres target logs in with password`,
        };
      }
      if (username === undefined) return { problem: 'a postgres target needs username' };
      if (password === undefined) return { problem: 'a postgres target needs password' };
      return { type, username, password, ...(caBundle !== undefined ? { caBundle } : {}) };
    case 'ssh':
      if (caBundle !== undefined) return { problem: 'caBundle is for postgres targets; an ssh target checks spec.ssh.hostKeys' };
      if (server !== undefined || token !== undefined) {
        return {
          problem: `${server !== undefined ? 'server' : 'token'} is for kubernetes targets; an ssh target logs in with privateKey or password`,
        };
      }
      if (username === undefined) return { problem: 'an ssh target needs username' };
      if (privateKey !== undefined && password !== undefined) return { problem: 'set privateKey or password, not both' };
      if (privateKey !== undefined) return { type, username, privateKey };
      if (password !== undefined) return { type, username, password };
      return { problem: 'an ssh target needs privateKey or password' };
    case 'kubernetes': {
      const foreign = (['username', 'password', 'privateKey'] as const).find((key) => entry[key] !== undefined);
      if (foreign) return { problem: `${foreign} is for postgres and ssh targets; a kubernetes target logs in with token` };
      if (server === undefined) return { problem: 'a kubernetes target needs server, the https:// URL of its API server' };
      if (!/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(server)) return { problem: 'server must be an https:// URL' };
      if (token === undefined || token === '') return { problem: 'a kubernetes target needs token' };
      return { type, server: server.replace(/\/+$/, ''), ...(caBundle !== undefined ? { caBundle } : {}), token };
    }
    case 'http':
      return { problem: `static credentials are for postgres, ssh and kubernetes targets, not ${type}` };
    default: {
      const unhandled: never = type;
      return { problem: `static credentials are for postgres, ssh and kubernetes targets, not ${String(unhandled)}` };
    }
  }
}

export class StaticCredentialSource implements CredentialSource {
  readonly #entries: ReadonlyMap<string, StaticCredentials>;

  constructor(entries: Readonly<Record<string, StaticCredentials>>) {
    this.#entries = new Map(Object.entries(entries));
  }

  async forTarget(target: TargetConfig): Promise<TargetCredentials> {
    const entry = this.#entries.get(target.name);
    if (!entry) throw new Error(`no credentials for target ${target.name}`);
    const typed = typedCredentials(target.spec.type, entry);
    if ('problem' in typed) throw new Error(`no ${target.spec.type} credentials for target ${target.name}: ${typed.problem}`);
    return typed;
  }
}
