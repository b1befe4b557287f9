/**
 * A CredentialSource for tests and local runs: credentials by target name, held in memory, as
 * the settings file gives them (untagged: a username and what the target's type logs in with).
 * Each is typed by its target when asked for, and refused when it does not fit the type: a
 * postgres target needs a password; an ssh target exactly one of privateKey and password. A
 * target of another type has no static credentials.
 */
import type { TargetType } from '@airlock/contracts/targets';
import type { CredentialSource, TargetConfig, TargetCredentials } from '../core/ports.ts';

/** One target's credentials as a settings file or a test fixture writes them. */
export interface StaticCredentials {
  readonly username: string;
  readonly password?: string;
  /** ssh: the private key, OpenSSH or PEM, unencrypted. */
  readonly privateKey?: string;
  /** postgres: the PEM CA bundle. */
  readonly caBundle?: string;
}

/** The credentials of a target of `type`, or what keeps them from being that. Pure. */
export function typedCredentials(type: TargetType, entry: StaticCredentials): TargetCredentials | { readonly problem: string } {
  const { username, password, privateKey, caBundle } = entry;
  switch (type) {
    case 'postgres':
      if (password === undefined) return { problem: 'a postgres target needs password' };
      if (privateKey !== undefined) return { problem: 'privateKey is for ssh targets; a postgres target logs in with password' };
      return { type, username, password, ...(caBundle !== undefined ? { caBundle } : {}) };
    case 'ssh':
      if (caBundle !== undefined) return { problem: 'caBundle is for postgres targets; an ssh target checks spec.ssh.hostKeys' };
      if (privateKey !== undefined && password !== undefined) return { problem: 'set privateKey or password, not both' };
      if (privateKey !== undefined) return { type, username, privateKey };
      if (password !== undefined) return { type, username, password };
      return { problem: 'an ssh target needs privateKey or password' };
    case 'http':
    case 'kubernetes':
      return { problem: `static credentials are for postgres and ssh targets, not ${type}` };
    default: {
      const unhandled: never = type;
      return { problem: `static credentials are for postgres and ssh targets, not ${String(unhandled)}` };
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
