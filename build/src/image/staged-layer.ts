/** A layer before it is archived: a folder that stands for `/`, and what differs from the usual modes and owner. */
export interface StagedLayer {
  /** For the build's report: what the layer holds. */
  readonly name: string;
  readonly holds: string;
  /** Its files, at their paths in the image (relative to this folder). */
  readonly root: string;
  /** Modes other than the normalised ones (directories 0755, files 0644 or 0755), by path. */
  readonly modes?: Readonly<Record<string, number>>;
  /** Empty directories owned by a user other than root, by path: the user (and group) ID. */
  readonly owners?: Readonly<Record<string, number>>;
}

/** The unprivileged user the image runs as (and the injected sidecar: operator/src/webhooks/sidecar-template.ts). */
export const NONROOT_ID = 65532;
