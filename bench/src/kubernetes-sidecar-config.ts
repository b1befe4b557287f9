/** What kubernetes-bench.ts hands kubernetes-sidecar-process.ts (a module of its own: importing the process script would run it). */
export const KUBERNETES_BENCH_TARGET = 'bench-cluster';

export interface KubernetesSidecarProcessConfig {
  /** The API server's https URL, its CA (PEM) and the bearer token the sidecar sends upstream. */
  readonly server: string;
  readonly caBundle: string;
  readonly token: string;
  /** The Target's maskingProfile: 'strict' has every answer parsed and scanned, 'none' lets lists stream through. */
  readonly maskingProfile: 'none' | 'strict';
  /** Where the sidecar writes the agents' kubeconfig (the pod's config volume). */
  readonly configDir: string;
}
