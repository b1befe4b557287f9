import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where built tools, downloaded inputs and cached images are kept between runs: outside the
 * repository, so every checkout and `make clean` share and keep them. AIRLOCK_CACHE_DIR moves it.
 */
export function cacheRoot(): string {
  return process.env.AIRLOCK_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'airlock');
}
