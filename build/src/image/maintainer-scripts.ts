/**
 * What the maintainer scripts of the agent image's packages would have done when installed, done
 * to the unpacked tree instead of running them (they need dpkg, debconf and a chroot). Each
 * package with a preinst or postinst is listed in MAINTAINER_SCRIPTS with what its scripts do and
 * what the build does about it; a package with such scripts that is not listed stops the build
 * (configure() checks), so adding a root means reading its scripts first.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BuildError } from '../errors.ts';

export const MAINTAINER_SCRIPTS: Readonly<Record<string, string>> = {
  'base-files':
    "copies /etc/profile, /etc/motd and root's .profile and .bashrc from /usr/share/base-files, makes /run/lock, the /var/run and /var/lock links, /opt, /srv, /mnt, /media and the /usr/local tree: done. Not done: /var/mail and the login records in /var/log (no mail, no logins), the staff group of /usr/local",
  bash: 'links /bin/sh to bash only when no other shell has it (dash ships the link); a man page alternative: nothing to do',
  'ca-certificates':
    'writes /etc/ca-certificates.conf (every certificate enabled) and runs update-ca-certificates: done (the bundle /etc/ssl/certs/ca-certificates.crt and a .pem link per certificate). Not done: the subject-hash links of `openssl rehash`; OpenSSL and curl read the bundle',
  coreutils: 'links /usr/bin/touch to /bin/touch when /usr is not merged: nothing to do',
  dash: 'takes /bin/sh with a diversion (the package ships the link): nothing to do',
  debianutils: 'writes /etc/shells (update-shells) and the `which` alternative: done',
  'libc-bin':
    'copies /etc/nsswitch.conf from /usr/share/libc-bin and runs ldconfig: nsswitch.conf done; no /etc/ld.so.cache, the loader searches its default directories, which hold every library',
  libc6: 'checks and migrations of older systems: nothing to do',
  'libgssapi-krb5-2': 'a migration of /etc/gss/mech from old versions: nothing to do',
  mawk: 'the awk and nawk alternatives: done',
  netbase: 'writes /etc/hosts (localhost): done',
  'openssh-client':
    'adds the _ssh group and makes ssh-agent set-group-ID _ssh: not done, the image has no set-ID programs (ssh-agent then guards its memory less against other processes of the same user)',
  openssl: 'links /usr/lib/ssl to /etc/ssl when missing (the package ships the links): nothing to do',
  'perl-base': 'a doc folder migration: nothing to do',
  'postgresql-client-15': 'manual page alternatives: nothing to do (no manuals in the image)',
  'readline-common': 'copies /etc/inputrc from /usr/share/readline: done',
  tar: 'the rmt alternative: done',
};

export interface ImageUser {
  readonly name: string;
  readonly id: number;
  readonly home: string;
  readonly shell: string;
}

/**
 * Does in `root` what the listed scripts do. `scripted` names the packages that have a preinst or
 * postinst; `root` holds every package of `packages`, with /usr merged.
 */
export function configure(root: string, packages: ReadonlySet<string>, scripted: readonly string[], user: ImageUser): void {
  const unread = scripted.filter((name) => !(name in MAINTAINER_SCRIPTS));
  if (unread.length > 0) {
    throw new BuildError(
      'MaintainerScriptsUnread',
      `${unread.join(', ')} ${unread.length > 1 ? 'have' : 'has'} maintainer scripts nobody read: read them (dpkg-deb -e), do what matters at run time in build/src/image/maintainer-scripts.ts and list the package in MAINTAINER_SCRIPTS`,
    );
  }
  const has = (name: string) => packages.has(name);
  if (has('base-files')) baseFiles(root);
  if (has('debianutils')) {
    shells(root);
    alternative(root, '/usr/bin/which', 'which', '/usr/bin/which.debianutils');
  }
  if (has('mawk')) {
    alternative(root, '/usr/bin/awk', 'awk', '/usr/bin/mawk');
    alternative(root, '/usr/bin/nawk', 'nawk', '/usr/bin/mawk');
  }
  if (has('tar')) alternative(root, '/usr/sbin/rmt', 'rmt', '/usr/sbin/rmt-tar');
  if (has('libc-bin')) copyDefault(root, '/usr/share/libc-bin/nsswitch.conf', '/etc/nsswitch.conf');
  if (has('readline-common')) copyDefault(root, '/usr/share/readline/inputrc', '/etc/inputrc');
  if (has('netbase')) {
    writeDefault(
      root,
      '/etc/hosts',
      '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n',
    );
  }
  if (has('ca-certificates')) caCertificates(root);
  users(root, user);
}

/** base-files' postinst, for a first install. */
function baseFiles(root: string): void {
  copyDefault(root, '/usr/share/base-files/dot.profile', '/root/.profile');
  copyDefault(root, '/usr/share/base-files/dot.bashrc', '/root/.bashrc');
  copyDefault(root, '/usr/share/base-files/profile', '/etc/profile');
  copyDefault(root, '/usr/share/base-files/motd', '/etc/motd');
  for (const dir of ['mnt', 'srv', 'opt', 'etc/opt', 'var/opt', 'media', 'run/lock']) mkdirSync(join(root, dir), { recursive: true });
  // keptModes() (debian-tree.ts) keeps the sticky bit it finds here.
  chmodSync(join(root, 'run/lock'), 0o1777);
  for (const [link, target] of [
    ['/var/run', '/run'],
    ['/var/lock', '/run/lock'],
  ] as const) {
    rmSync(join(root, link), { recursive: true, force: true });
    symlinkSync(target, join(root, link));
  }
  for (const dir of ['share/man', 'bin', 'games', 'lib', 'include', 'sbin', 'src', 'etc'])
    mkdirSync(join(root, 'usr/local', dir), { recursive: true });
  symlinkSync('share/man', join(root, 'usr/local/man'));
  if (existsSync(join(root, 'etc/dpkg/origins/debian')) && !exists(join(root, 'etc/dpkg/origins/default'))) {
    symlinkSync('debian', join(root, 'etc/dpkg/origins/default'));
  }
}

/** update-shells: the template and every package's shells, each also by its path in merged /usr. */
function shells(root: string): void {
  const sources = [join(root, 'usr/share/debianutils/shells')];
  const packaged = join(root, 'usr/share/debianutils/shells.d');
  if (existsSync(packaged))
    sources.push(
      ...readdirSync(packaged)
        .sort()
        .map((name) => join(packaged, name)),
    );
  const lines = ['# /etc/shells: valid login shells'];
  for (const source of sources) {
    for (const line of readFileSync(source, 'utf8').split('\n')) {
      const shell = line.split('#')[0]?.trim();
      if (!shell) continue;
      for (const path of [shell, mergedPath(shell)]) if (!lines.includes(path)) lines.push(path);
    }
  }
  writeFileSync(join(root, 'etc/shells'), `${lines.join('\n')}\n`);
}

const mergedPath = (path: string): string => path.replace(/^\/(bin|sbin|lib|lib64)\//, '/usr/$1/');

/** update-alternatives --install LINK NAME PATH, with no competitor: LINK → /etc/alternatives/NAME → PATH. */
function alternative(root: string, link: string, name: string, path: string): void {
  if (!exists(join(root, path)))
    throw new BuildError('AlternativeMissing', `the ${name} alternative points to ${path}, which is not in the image`);
  mkdirSync(join(root, 'etc/alternatives'), { recursive: true });
  symlinkSync(path, join(root, 'etc/alternatives', name));
  rmSync(join(root, link), { force: true });
  symlinkSync(`/etc/alternatives/${name}`, join(root, link));
}

const CA_CONF_HEADER = `# This file lists certificates that you wish to use or to ignore to be
# installed in /etc/ssl/certs.
# update-ca-certificates(8) will update /etc/ssl/certs by reading this file.
#
# This is autogenerated by dpkg-reconfigure ca-certificates.
# Certificates should be installed under /usr/share/ca-certificates
# and files with extension '.crt' is recognized as available certs.
#
# line begins with # is comment.
# line begins with ! is certificate filename to be deselected.
#
`;

/** ca-certificates' postinst with every certificate trusted, then update-ca-certificates. */
function caCertificates(root: string): void {
  const shared = join(root, 'usr/share/ca-certificates');
  const certificates = listFiles(shared)
    .filter((path) => path.endsWith('.crt'))
    .sort();
  if (certificates.length === 0) throw new BuildError('NoCertificates', '/usr/share/ca-certificates holds no certificate');
  writeFileSync(join(root, 'etc/ca-certificates.conf'), `${CA_CONF_HEADER}${certificates.join('\n')}\n`);
  const certs = join(root, 'etc/ssl/certs');
  mkdirSync(certs, { recursive: true });
  let bundle = '';
  for (const certificate of certificates) {
    const pem = readFileSync(join(shared, certificate), 'utf8');
    bundle += pem.endsWith('\n') ? pem : `${pem}\n`;
    const name = basename(certificate, '.crt').replaceAll(' ', '_').replace(/[()]/g, '=').replaceAll(',', '_');
    symlinkSync(`/usr/share/ca-certificates/${certificate}`, join(certs, `${name}.pem`));
  }
  writeFileSync(join(certs, 'ca-certificates.crt'), bundle);
  mkdirSync(join(root, 'usr/local/share/ca-certificates'), { recursive: true });
}

/** What base-passwd and `adduser` would have written: root, nobody and the image's user, no passwords. */
function users(root: string, user: ImageUser): void {
  const passwd = [
    'root:x:0:0:root:/root:/bin/bash',
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
    `${user.name}:x:${user.id}:${user.id}:${user.name}:${user.home}:${user.shell}`,
  ];
  const group = ['root:x:0:', 'nogroup:x:65534:', `${user.name}:x:${user.id}:`];
  writeFileSync(join(root, 'etc/passwd'), `${passwd.join('\n')}\n`);
  writeFileSync(join(root, 'etc/group'), `${group.join('\n')}\n`);
  mkdirSync(join(root, user.home), { recursive: true });
}

/** Copies a packaged default into place unless it is there (install_from_default in the scripts). */
function copyDefault(root: string, from: string, to: string): void {
  writeDefault(root, to, readFileSync(join(root, from), 'utf8'));
}

function writeDefault(root: string, path: string, text: string): void {
  const at = join(root, path);
  if (exists(at)) return;
  mkdirSync(dirname(at), { recursive: true });
  writeFileSync(at, text);
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
