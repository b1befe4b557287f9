/**
 * Cutting omitted packages out of a resolved closure (pruneClosure), on hand-written control
 * records, and the lock of the agent image agreeing with its roots and omissions.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AGENT_LOCK_FILE, AGENT_OMITTED, AGENT_ROOTS, type AgentLock, readAgentLock } from './agent-packages.ts';
import { MAINTAINER_SCRIPTS } from './maintainer-scripts.ts';
import { parseControl, pruneClosure, type ResolvedPackage } from './package-closure.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

/** A closure as apt would resolve it, from `name: Depends` lines (and `Provides` after a `/`). */
function closure(lines: Record<string, string>): { packages: ResolvedPackage[]; stanzas: Record<string, string>[] } {
  const text = Object.entries(lines)
    .map(([name, line]) => {
      const [depends = '', provides = ''] = line.split('/');
      return `Package: ${name}\nVersion: 1.0\n${depends.trim() ? `Depends: ${depends.trim()}\n` : ''}${provides.trim() ? `Provides: ${provides.trim()}\n` : ''}`;
    })
    .join('\n');
  const stanzas = parseControl(text);
  return { packages: stanzas.map((s) => ({ name: s.Package ?? '', version: s.Version ?? '', architecture: 'amd64' })), stanzas };
}

const names = (packages: readonly ResolvedPackage[]) => packages.map((pkg) => pkg.name);

test('an omitted package goes with what only it needs; what others need too stays', () => {
  const { packages, stanzas } = closure({
    tool: 'libc6, adduser',
    adduser: 'passwd',
    passwd: 'libpam0g, libc6',
    libpam0g: 'libc6',
    libc6: '',
  });
  assert.deepEqual(names(pruneClosure(['tool'], ['adduser'], packages, stanzas)), ['libc6', 'tool']);
  assert.deepEqual(names(pruneClosure(['tool'], [], packages, stanzas)), ['adduser', 'libc6', 'libpam0g', 'passwd', 'tool']);
});

test('alternatives, virtual packages, version constraints and :any qualifiers', () => {
  const { packages, stanzas } = closure({
    'base-files': 'awk',
    mawk: 'libc6 (>= 2.29) / awk, nawk',
    'postgresql-client-common': 'netbase, perl:any',
    netbase: '',
    perl: 'perl-base (= 5.36.0-7)',
    'perl-base': '',
    grep: 'dpkg (>= 1.15.4) | install-info',
    dpkg: 'tar (>= 1.28-1)',
    tar: '',
    'ca-certificates': 'openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0',
    openssl: 'libc6',
    debconf: '',
    libc6: '',
  });
  const roots = ['base-files', 'postgresql-client-common', 'grep', 'ca-certificates', 'perl-base'];
  assert.deepEqual(names(pruneClosure(roots, ['perl', 'dpkg', 'debconf'], packages, stanzas)), [
    'base-files',
    'ca-certificates',
    'grep',
    'libc6',
    'mawk',
    'netbase',
    'openssl',
    'perl-base',
    'postgresql-client-common',
  ]);
});

test('a dependency the closure cannot satisfy, an omitted root and an omission nothing pulls in are errors', () => {
  const { packages, stanzas } = closure({ tool: 'libmissing', other: '' });
  assert.throws(() => pruneClosure(['tool'], [], packages, stanzas), /tool depends on libmissing/);
  assert.throws(() => pruneClosure(['other'], ['other'], packages, stanzas), { code: 'OmittedRoot' });
  assert.throws(() => pruneClosure(['other'], ['dpkg'], packages, stanzas), { code: 'OmissionUnused' });
});

test('control records: continuation lines, several stanzas', () => {
  assert.deepEqual(parseControl('Package: a\nDescription: one\n two\n\nPackage: b\nVersion: 1:2.0\n'), [
    { Package: 'a', Description: 'one\n two' },
    { Package: 'b', Version: '1:2.0' },
  ]);
});

test('the agent lock is made from the current roots and omissions, holds every root and no omitted package, pins each by sha256', () => {
  const lock = readAgentLock(REPO_ROOT);
  const locked = new Set(lock.packages.map((pkg) => pkg.name));
  for (const root of AGENT_ROOTS) assert.ok(locked.has(root), root);
  for (const omitted of Object.keys(AGENT_OMITTED)) assert.ok(!locked.has(omitted), omitted);
  for (const pkg of lock.packages) assert.match(pkg.sha256, /^[0-9a-f]{64}$/, pkg.name);
  assert.deepEqual(names(lock.packages), [...locked].sort(), 'the packages are not sorted by name, or one is there twice');
  // Every package the build reviewed the maintainer scripts of is still in the image.
  for (const name of Object.keys(MAINTAINER_SCRIPTS)) assert.ok(locked.has(name), `${name} is listed in MAINTAINER_SCRIPTS but not locked`);
});

test('a lock made for other roots is stale, and the error says how to refresh it', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-agent-lock-'));
  try {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, AGENT_LOCK_FILE), 'utf8')) as AgentLock;
    mkdirSync(join(scratch, 'build/src/image'), { recursive: true });
    writeFileSync(join(scratch, AGENT_LOCK_FILE), JSON.stringify({ ...lock, roots: [...lock.roots, 'vim'] }));
    assert.throws(() => readAgentLock(scratch), { code: 'AgentLockStale', message: /node build\/src\/image\/agent-lock-main\.ts/ });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
