/**
 * The protocols this sidecar serves, by target type: one line per protocol. A target whose type
 * has no line here is not served (sidecar.ts logs it and starts the others).
 */
import type { TargetSpec } from '@airlock/crds';
import type { Protocol } from '../core/protocol.ts';
import { type KubernetesProtocolOptions, kubernetesProtocol } from './kubernetes/kubernetes-protocol.ts';
import { type PostgresProtocolOptions, postgresProtocol } from './postgres/postgres-protocol.ts';
import { type SshProtocolOptions, sshProtocol } from './ssh/ssh-protocol.ts';

/** What each protocol needs beyond the services they all share. */
export interface ProtocolOptions {
  readonly postgres: PostgresProtocolOptions;
  readonly ssh?: SshProtocolOptions;
  readonly kubernetes?: KubernetesProtocolOptions;
}

export function createProtocols(options: ProtocolOptions): ReadonlyMap<TargetSpec['type'], Protocol> {
  return new Map(
    [postgresProtocol(options.postgres), sshProtocol(options.ssh), kubernetesProtocol(options.kubernetes)].map((protocol) => [
      protocol.type,
      protocol,
    ]),
  );
}
