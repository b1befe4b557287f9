/**
 * What the operator's configuration decides about the injected sidecar. Everything else about the
 * sidecar follows from the pod's identity and targets (sidecar-template.ts).
 */

export interface SidecarResources {
  readonly requests?: Readonly<Record<string, string>>;
  readonly limits?: Readonly<Record<string, string>>;
}

export interface InjectionSettings {
  /** The sidecar image, e.g. ghcr.io/airlock/sidecar:0.1.0 (pin a digest in production). */
  readonly image: string;
  /** Default: IfNotPresent, or Always for an untagged or :latest image (what the API server would pick). */
  readonly imagePullPolicy?: string;
  /**
   * Replaces the whole command. Default: `node <sidecarNodeFlags(memory limit)> /app/sidecar/src/main.ts
   * --broker`; a replacement must keep those flags (the sidecar logs a warning when they are missing).
   */
  readonly command?: readonly string[];
  /** The operator's broker, as sidecars reach it (https://airlock-broker.airlock-system.svc:8443). */
  readonly brokerURL: string;
  /** PEM bundle the sidecar trusts for the broker (CertificateManager.current().caPem). */
  readonly brokerCAPem: string;
  /** Default: DEFAULT_SIDECAR_RESOURCES. */
  readonly resources?: SidecarResources;
  /** Default: info. */
  readonly logLevel?: string;
  /** Never injected, whatever its labels: the operator must be able to start when its webhook is down. */
  readonly operatorNamespace: string;
}

/** The image's entry point; the command puts the Node flags between `node` and it. */
export const SIDECAR_ENTRYPOINT: readonly string[] = ['/app/sidecar/src/main.ts', '--broker'];

/**
 * The request is about what a sidecar holds after start with a few sessions (~110 MB measured);
 * the limit leaves room for the peaks measured in sidecar/README.md ("Memory": 200 idle sessions,
 * a million masked rows; 110-140 MB) with the production flags. Set with the operator's
 * --sidecar-memory-request / --sidecar-memory-limit / --sidecar-cpu-request.
 */
export const DEFAULT_SIDECAR_RESOURCES: SidecarResources = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { memory: '256Mi' },
};

export const DEFAULT_SIDECAR_LOG_LEVEL = 'info';
