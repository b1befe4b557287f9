/** What ssh-bench.ts hands ssh-sidecar-process.ts (a module of its own: importing the process script would run it). */
export const SSH_BENCH_TARGET = 'bench-host';

export interface SshSidecarProcessConfig {
  readonly upstream: { readonly host: string; readonly port: number; readonly hostKeys: readonly string[] };
  readonly credentials: { readonly username: string; readonly privateKey: string };
  /** Where the sidecar writes ssh_config and known_hosts for the agent's ssh (the pod's config volume). */
  readonly configDir: string;
}
