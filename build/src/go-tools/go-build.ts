/**
 * Runs `go build` for one of the wrapper modules in build/go-tools, with the machine's Go, never
 * switching toolchains (that would download one); modules come from the configured proxy.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildOnce } from '../build-once.ts';
import { cacheRoot } from '../cache-root.ts';
import { BuildError } from '../errors.ts';
import type { Log } from '../log.ts';

/** The wrapper modules, one folder per tool: the one place each version is pinned. */
export const GO_TOOLS = join(import.meta.dirname, '..', '..', 'go-tools');

export interface GoToolBuild {
  /** The wrapper module's folder. */
  readonly module: string;
  /** The files `go build` writes, cached together in `dir`. */
  readonly names: readonly string[];
  /** The cache folder, one per version. */
  readonly dir: string;
  /** For progress lines, e.g. `helm v3.22.0`. */
  readonly what: string;
  /** `go` arguments that write `names` into `out`. */
  readonly args: (out: string) => string[];
  /** What to say when there is no Go: what to install or point at instead. */
  readonly noGo: string;
  /** Extra environment for `go build`, e.g. CGO_ENABLED=0 for a program that runs in an image without a C library. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Builds the tool unless its cache folder already has it (once across parallel processes). */
export async function buildGoTool(tool: GoToolBuild, log: Log): Promise<void> {
  await buildOnce(tool.dir, tool.names, tool.what, log, async (out) => {
    const go = goVersion(tool.noGo);
    await runGoBuild(tool.args(out), tool.module, `${tool.what} with ${go}`, tool.env ?? {}, log);
  });
}

/** `go version`, or a clear error (what to install or point at instead) when there is no Go. */
function goVersion(noGo: string): string {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) throw new BuildError('NoGoToolchain', noGo);
  return go.stdout.trim();
}

function runGoBuild(args: string[], cwd: string, what: string, env: Readonly<Record<string, string>>, log: Log): Promise<void> {
  const started = Date.now();
  log(`building ${what} (first run only; cached in ${cacheRoot()})`);
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, {
      cwd,
      env: { ...process.env, ...env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly -buildvcs=false' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let packages = 0;
    let tail = '';
    const timer = setInterval(
      () => log(`building ${what}: ${packages} packages compiled, ${Math.round((Date.now() - started) / 1000)}s`),
      15_000,
    );
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      packages += chunk.split('\n').filter((l) => l && !l.startsWith('go: ') && !l.startsWith('#')).length;
      tail = (tail + chunk).slice(-4000);
    });
    child.on('error', (error) => {
      clearInterval(timer);
      reject(new BuildError('GoBuildFailed', `could not run go build for ${what}`, { cause: error }));
    });
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code === 0) {
        log(`built ${what} in ${Math.round((Date.now() - started) / 1000)}s`);
        resolve();
      } else {
        reject(new BuildError('GoBuildFailed', `go build for ${what} failed (exit ${code}):\n${tail}`));
      }
    });
  });
}
