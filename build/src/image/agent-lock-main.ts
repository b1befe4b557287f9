/**
 * Writes build/src/image/agent-packages.lock.json: the Debian packages of the agent image
 * (agent-packages.ts: AGENT_ROOTS and their closure without AGENT_OMITTED), each with the version
 * the mirror offers now and the sha256 of its .deb, and prints what changed. Run it when the
 * roots change or when a build says the mirror moved on; then build and test the image.
 * `node build/src/image/agent-lock-main.ts [--no-update]`: as root it first runs `apt-get update`
 * (--no-update keeps the package lists as they are). The fetched files go into the build's cache.
 * Exit codes: 0 written, 2 bad flags, 1 failed (the message says why).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BuildError } from '../errors.ts';
import { run } from '../run-command.ts';
import { sha256File } from '../sha256-file.ts';
import { AGENT_LOCK_FILE, AGENT_OMITTED, AGENT_ROOTS, type AgentLock, LOCK_COMMENT, type LockedPackage } from './agent-packages.ts';
import { REPO_ROOT } from './build-image.ts';
import { aptDebFile, cachedDebName, inputsDir } from './fetch-inputs.ts';
import { ARCHITECTURE } from './inputs.ts';
import { resolveClosure } from './package-closure.ts';

const USAGE = `usage: node build/src/image/agent-lock-main.ts [--no-update]
  --no-update   resolve with the package lists as they are (default as root: apt-get update first)
`;

function main(): number {
  let values: { 'no-update'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { 'no-update': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values['no-update'] && process.getuid?.() === 0) run('apt-get', ['update', '-qq'], 'AptUpdateFailed');
  const work = mkdtempSync(join(tmpdir(), 'airlock-agent-lock-'));
  try {
    const closure = resolveClosure(AGENT_ROOTS, Object.keys(AGENT_OMITTED), join(work, 'apt'));
    const downloads = join(work, 'debs');
    mkdirSync(downloads);
    run(
      'apt-get',
      ['-o', 'APT::Sandbox::User=root', 'download', ...closure.map((p) => `${p.name}:${ARCHITECTURE}=${p.version}`)],
      'AptDownloadFailed',
      { cwd: downloads },
    );
    const files = readdirSync(downloads);
    const cache = inputsDir();
    mkdirSync(cache, { recursive: true });
    let bytes = 0;
    const packages: LockedPackage[] = closure.map((pkg) => {
      const file = aptDebFile(files, pkg);
      if (!file) throw new BuildError('AptDownloadFailed', `apt-get download left no .deb for ${pkg.name} ${pkg.version}`);
      const path = join(downloads, file);
      bytes += statSync(path).size;
      const locked = { name: pkg.name, version: pkg.version, architecture: pkg.architecture, sha256: sha256File(path) };
      const cached = join(cache, cachedDebName(locked));
      if (!existsSync(cached)) renameSync(path, cached);
      return locked;
    });
    const lock: AgentLock = {
      comment: LOCK_COMMENT,
      architecture: ARCHITECTURE,
      roots: AGENT_ROOTS,
      omitted: Object.keys(AGENT_OMITTED),
      packages,
    };
    const path = join(REPO_ROOT, AGENT_LOCK_FILE);
    const before = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as AgentLock).packages : [];
    writeFileSync(path, formatLock(lock));
    process.stdout.write(`${AGENT_LOCK_FILE}: ${packages.length} packages, ${(bytes / 1e6).toFixed(1)} MB of .deb files\n`);
    for (const line of changes(before, packages)) process.stdout.write(`  ${line}\n`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** JSON as the repository's formatter (biome) writes it: a list of names on one line when it fits in 140 columns. */
function formatLock(lock: AgentLock): string {
  const list = (key: string, names: readonly string[]) => {
    const line = `  ${JSON.stringify(key)}: ${JSON.stringify(names).replaceAll('","', '", "')},`;
    return line.length <= 140 ? line : `  ${JSON.stringify(key)}: ${JSON.stringify(names, null, 2).replaceAll('\n', '\n  ')},`;
  };
  const packages = JSON.stringify(lock.packages, null, 2).replaceAll('\n', '\n  ');
  return [
    '{',
    `  "comment": ${JSON.stringify(lock.comment)},`,
    `  "architecture": ${JSON.stringify(lock.architecture)},`,
    list('roots', lock.roots),
    list('omitted', lock.omitted),
    `  "packages": ${packages}`,
    '}',
    '',
  ].join('\n');
}

function changes(before: readonly LockedPackage[], after: readonly LockedPackage[]): string[] {
  const old = new Map(before.map((p) => [p.name, p]));
  const now = new Map(after.map((p) => [p.name, p]));
  const lines: string[] = [];
  for (const pkg of after) {
    const was = old.get(pkg.name);
    if (!was) lines.push(`+ ${pkg.name} ${pkg.version}`);
    else if (was.version !== pkg.version || was.sha256 !== pkg.sha256) lines.push(`~ ${pkg.name} ${was.version} → ${pkg.version}`);
  }
  for (const pkg of before) if (!now.has(pkg.name)) lines.push(`- ${pkg.name} ${pkg.version}`);
  return lines;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(
    error instanceof BuildError ? `agent-lock: ${error.code}: ${error.message}\n` : `agent-lock failed: ${(error as Error).stack}\n`,
  );
  process.exitCode = 1;
}
