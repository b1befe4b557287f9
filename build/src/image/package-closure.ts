/**
 * The packages an image built from Debian packages carries: apt resolves what
 * `apt-get install --no-install-recommends ROOTS` would install on an empty system (its own
 * empty dpkg status, so the machine's installed packages play no part), then the omitted
 * packages are cut out with whatever only they pulled in. Versions are the machine's candidates:
 * the mirror's newest, or what the machine's apt pinning prefers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from '../errors.ts';
import { run } from '../run-command.ts';

export interface ResolvedPackage {
  readonly name: string;
  readonly version: string;
  /** amd64, or all. */
  readonly architecture: string;
}

/** apt options that make it resolve for an empty system, with state of its own under `work`. */
function emptySystem(work: string): string[] {
  mkdirSync(join(work, 'cache', 'archives', 'partial'), { recursive: true });
  writeFileSync(join(work, 'status'), '');
  return [
    '-o',
    `Dir::State::status=${join(work, 'status')}`,
    '-o',
    `Dir::State::extended_states=${join(work, 'extended_states')}`,
    '-o',
    `Dir::Cache=${join(work, 'cache')}`,
    '-o',
    'Debug::NoLocking=1',
    '-o',
    'APT::Install-Recommends=false',
    '-o',
    'APT::Install-Suggests=false',
  ];
}

/**
 * The closure of `roots` without `omitted` (and what only they need), sorted by name. `work` is
 * scratch space for apt's state.
 */
export function resolveClosure(roots: readonly string[], omitted: readonly string[], work: string): ResolvedPackage[] {
  const options = emptySystem(work);
  const simulated = run('apt-get', [...options, '--simulate', 'install', ...roots], 'AptResolveFailed');
  const resolved = new Map<string, ResolvedPackage>();
  for (const line of simulated.split('\n')) {
    // Inst libc6 (2.36-9+deb12u14 Debian:12.15/oldstable [amd64]) []
    const match = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]]+)\]\)/.exec(line);
    const name = match?.[1]?.replace(/:.*$/, '');
    if (match && name) resolved.set(name, { name, version: match[2]!, architecture: match[3]! });
  }
  for (const root of roots) {
    if (!resolved.has(root)) throw new BuildError('AptResolveFailed', `apt would not install ${root}:\n${simulated.slice(-2000)}`);
  }
  const stanzas = parseControl(
    run('apt-cache', [...options, 'show', ...[...resolved.values()].map((p) => `${p.name}=${p.version}`)], 'AptResolveFailed'),
  );
  return pruneClosure(roots, omitted, [...resolved.values()], stanzas);
}

/**
 * What is left of a resolved closure once `omitted` is cut out: the packages reachable from
 * `roots` through Pre-Depends and Depends (`stanzas`: their control records), where a dependency
 * that an omitted package could satisfy is not followed. An alternative or virtual package is
 * followed to the first package of the closure that satisfies it. Sorted by name.
 */
export function pruneClosure(
  roots: readonly string[],
  omitted: readonly string[],
  closure: readonly ResolvedPackage[],
  stanzas: readonly Readonly<Record<string, string>>[],
): ResolvedPackage[] {
  const resolved = new Map(closure.map((pkg) => [pkg.name, pkg]));
  const fields = new Map<string, Readonly<Record<string, string>>>();
  for (const stanza of stanzas) if (stanza.Package && !fields.has(stanza.Package)) fields.set(stanza.Package, stanza);
  return prune(roots, new Set(omitted), resolved, fields);
}

function prune(
  roots: readonly string[],
  omitted: ReadonlySet<string>,
  resolved: ReadonlyMap<string, ResolvedPackage>,
  fields: ReadonlyMap<string, Readonly<Record<string, string>>>,
): ResolvedPackage[] {
  for (const name of omitted) {
    if (roots.includes(name)) throw new BuildError('OmittedRoot', `${name} is both asked for and omitted`);
    if (!resolved.has(name))
      throw new BuildError('OmissionUnused', `${name} is omitted but nothing pulls it in any more: drop the omission`);
  }
  const provider = new Map<string, string>();
  for (const [name, stanza] of fields) {
    for (const provided of dependencyNames(stanza.Provides ?? '')) if (!provider.has(provided)) provider.set(provided, name);
  }
  const kept = new Set<string>();
  const visit = (name: string): void => {
    if (kept.has(name)) return;
    kept.add(name);
    const stanza = fields.get(name);
    if (!stanza) throw new BuildError('AptResolveFailed', `apt-cache show gave no record of ${name}`);
    for (const group of [stanza['Pre-Depends'], stanza.Depends].flatMap((field) => (field ? field.split(',') : []))) {
      const alternatives = group.split('|').map((alternative) => dependencyNames(alternative)[0] ?? '');
      if (alternatives.some((alternative) => omitted.has(alternative))) continue;
      const chosen = alternatives.map((alternative) => (resolved.has(alternative) ? alternative : provider.get(alternative))).find(Boolean);
      if (!chosen) throw new BuildError('AptResolveFailed', `${name} depends on ${group.trim()}, which apt's resolution does not hold`);
      visit(chosen);
    }
  };
  for (const root of roots) visit(root);
  return [...kept]
    .sort()
    .map((name) => resolved.get(name))
    .filter((pkg): pkg is ResolvedPackage => pkg !== undefined);
}

/** The package names in a relation field: `perl:any, libc6 (>= 2.34)` → perl, libc6. */
function dependencyNames(field: string): string[] {
  return field
    .split(',')
    .map((entry) => entry.trim().split(/[\s(:]/)[0] ?? '')
    .filter(Boolean);
}

/** Debian control stanzas (apt-cache show, dpkg-deb -f): fields by name, continuation lines joined. */
export function parseControl(text: string): Record<string, string>[] {
  const stanzas: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  let last = '';
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(current).length > 0) stanzas.push(current);
      current = {};
      last = '';
    } else if (/^\s/.test(line)) {
      if (last) current[last] += `\n${line}`;
    } else {
      const colon = line.indexOf(':');
      if (colon > 0) {
        last = line.slice(0, colon);
        current[last] = line.slice(colon + 1).trim();
      }
    }
  }
  if (Object.keys(current).length > 0) stanzas.push(current);
  return stanzas;
}
