/**
 * The Node/V8 flags the sidecar must run with to stay inside its container's memory limit. The
 * operator puts them on the injected container's command line (`node <flags> main.ts --broker`);
 * main.ts warns when they are missing. Figures and how they were measured: sidecar/README.md
 * ("Memory").
 *
 * - `--liftoff-only`: libpg-query is WebAssembly. V8 first compiles it with its baseline compiler
 *   (Liftoff), then recompiles hot functions with the optimizing one (TurboFan) in the background.
 *   TurboFan on the parser's one huge function takes ~600 MB for a second or two, right after the
 *   first statements: in a 256Mi container that is an OOM kill. `--no-wasm-tier-up`,
 *   `--no-wasm-dynamic-tiering` and a larger `--wasm-tiering-budget` do not prevent it (the last
 *   only postpones it); `--liftoff-only` does. The price: an uncached classification is ~1.3-1.5x
 *   slower (~60 → ~90 µs); cached ones do not run the parser. The flag is not allowed in
 *   NODE_OPTIONS and cannot be set after start (v8.setFlagsFromString has no effect on it), so it
 *   has to be on the command line.
 * - `--max-semi-space-size`: the young generation. A million-row result makes short-lived garbage
 *   fast; with Node's default semi-space the peak was ~50 MB higher for the same work.
 * - `--max-old-space-size`: half the container limit, so V8 collects hard well before the kernel's
 *   OOM killer would act, and the other half stays for the WebAssembly memory, code and buffers.
 */

/** Without a known limit (a local run) the old-space flag is left to Node's own sizing. */
export function sidecarNodeFlags(memoryLimitBytes?: number): string[] {
  const flags = ['--liftoff-only', `--max-semi-space-size=${SEMI_SPACE_MIB}`];
  if (memoryLimitBytes !== undefined && memoryLimitBytes > 0) {
    flags.push(`--max-old-space-size=${Math.max(MIN_OLD_SPACE_MIB, Math.floor(memoryLimitBytes / MIB / 2))}`);
  }
  return flags;
}

/** The flags of sidecarNodeFlags() that this process lacks (main.ts logs them as a warning). */
export function missingNodeFlags(execArgv: readonly string[]): string[] {
  const name = (flag: string) => flag.split('=')[0];
  return sidecarNodeFlags().filter((flag) => !execArgv.some((given) => name(given) === name(flag)));
}

const MIB = 1024 * 1024;
const SEMI_SPACE_MIB = 8;
/** Below this the sidecar cannot even load the parser and its caches. */
const MIN_OLD_SPACE_MIB = 64;
