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
  /** Default: DEFAULT_SIDECAR_COMMAND. */
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

export const DEFAULT_SIDECAR_COMMAND: readonly string[] = ['node', '/app/sidecar/src/main.ts', '--broker'];

export const DEFAULT_SIDECAR_RESOURCES: SidecarResources = {
  requests: { cpu: '50m', memory: '96Mi' },
  limits: { memory: '256Mi' },
};

export const DEFAULT_SIDECAR_LOG_LEVEL = 'info';
