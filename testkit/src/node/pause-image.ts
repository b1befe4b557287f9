/**
 * The pod sandbox ("pause") image the test node's containerd runs for every pod: the project's
 * own (build/src/image/pause-image.ts, a static C program), built offline and cached by content.
 * `ctr images import` names it by the archive's `io.containerd.image.name`, the fully qualified
 * reference the CRI plugin's sandbox_image must match.
 */
import { cachedPauseImage, type Log } from '@airlock/build';

export interface PauseImage {
  /** What the CRI plugin's sandbox_image names and the archive imports as. */
  readonly reference: string;
  /** OCI image layout as a tar. */
  readonly archive: string;
}

export async function pauseImage(log: Log = () => {}): Promise<PauseImage> {
  const built = await cachedPauseImage(log);
  return { reference: `docker.io/${built.reference}`, archive: built.archive };
}
