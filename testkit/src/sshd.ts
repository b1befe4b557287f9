/**
 * A real OpenSSH server for tests: the machine's sshd (Debian package openssh-server) with a
 * config, host keys and authorized_keys files of its own in a temp dir, listening on 127.0.0.1 at
 * a random port. Tests log in as real Unix users the server creates for itself (key or password,
 * or a certificate of a user CA the test names); neither /etc/ssh/sshd_config nor the machine's
 * host keys are used. sshd runs as root (it must switch to the user who logs in), so the harness
 * must be root. stop() ends the server and every session, removes the users, the temp dir and
 * /run/sshd if a harness made it, and puts back the login records sshd wrote (login-records.ts); a
 * watchdog does the same if the test process dies (all but the login records: a killed test leaves
 * its lines in btmp and wtmp).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from '@airlock/build';
import { HarnessError } from './errors.ts';
import { type LoginRecordsMark, markLoginRecords, noteUid, restoreLoginRecords } from './login-records.ts';
import { createLoginUser, removeLoginUser, setLoginPassword } from './login-users.ts';
import { type OpensshBinaries, opensshBinaries } from './openssh-binaries.ts';
import { freePort } from './ports.ts';
import { descendantsOf, terminate } from './process-tree.ts';
import { waitUntilReady } from './readiness.ts';
import { assertReachable, type RunAs } from './run-as.ts';
import { type SshKeyType, sshFingerprint, withoutComment, writeKeyFiles } from './ssh-keys.ts';
import { sshdConfig } from './sshd-config.ts';
import { claimPrivsepDir, PRIVSEP_DIR, releasePrivsepDir } from './sshd-privsep-dir.ts';
import { type ManagedProcess, Supervisor } from './supervisor.ts';

export interface SshServerOptions {
  /**
   * The test users, by short name (lower case letters and digits, at most 12): each becomes a Unix
   * user `airlock-ssh-<random>-<name>`, so servers in parallel test files never share one.
   * Default `['deploy']`.
   */
  users?: readonly string[];
  /** Host key types, one key each (default `['ed25519']`). */
  hostKeyTypes?: readonly SshKeyType[];
  /** More sshd_config settings, for example `{ MaxStartups: 200 }`; they replace the harness's. */
  settings?: Readonly<Record<string, string | number>>;
  /**
   * Public keys (`type base64`) of user certificate authorities the server trusts (TrustedUserCAKeys):
   * a user also logs in with a certificate one of them signed for the user's name. Default none.
   */
  trustedUserCaKeys?: readonly string[];
  log?: Log;
}

/** A Unix user the server lets log in. */
export interface SshLoginUser {
  /** The login name, what `id -un` prints. */
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** The current password (random unless setPassword changed it). */
  readonly password: string;
  /** Adds a public key line (`type base64 [comment]`) to the user's authorized_keys. */
  authorize(publicKey: string): void;
  setPassword(password: string): void;
}

const SHORT_NAME = /^[a-z][a-z0-9]{0,11}$/;
const START_TIMEOUT_MS = 15_000;
const START_ATTEMPTS = 3;

export class SshServer {
  readonly host = '127.0.0.1';
  readonly port: number;
  /** The temp dir: config, host keys, authorized_keys, homes, logs. */
  readonly dir: string;
  /** The public host keys as `type base64`, what a Target's spec.ssh.hostKeys takes. */
  readonly hostKeys: readonly string[];
  /** `SHA256:...` of each host key, in the order of hostKeys. */
  readonly hostKeyFingerprints: readonly string[];
  readonly users: Readonly<Record<string, SshLoginUser>>;
  readonly binaries: OpensshBinaries;
  readonly #supervisor: Supervisor;
  readonly #sshd: ManagedProcess;
  readonly #records: LoginRecordsMark;
  #stopped: Promise<void> | undefined;

  private constructor(init: {
    port: number;
    dir: string;
    hostKeys: string[];
    users: Record<string, SshLoginUser>;
    binaries: OpensshBinaries;
    supervisor: Supervisor;
    sshd: ManagedProcess;
    records: LoginRecordsMark;
  }) {
    this.port = init.port;
    this.dir = init.dir;
    this.hostKeys = init.hostKeys;
    this.hostKeyFingerprints = init.hostKeys.map(sshFingerprint);
    this.users = init.users;
    this.binaries = init.binaries;
    this.#supervisor = init.supervisor;
    this.#sshd = init.sshd;
    this.#records = init.records;
  }

  /** Whether this process can run one: sshd must run as root to log users in. */
  static available(): boolean {
    return process.getuid?.() === 0;
  }

  static async start(options: SshServerOptions = {}): Promise<SshServer> {
    const log = options.log ?? (() => {});
    if (!SshServer.available()) {
      throw new HarnessError(
        'SshServerNeedsRoot',
        'SshServer creates Unix users and runs sshd as root; run the test as root, or skip it when SshServer.available() is false',
      );
    }
    const shortNames = options.users ?? ['deploy'];
    const bad = shortNames.find((n) => !SHORT_NAME.test(n));
    if (bad !== undefined || shortNames.length === 0 || new Set(shortNames).size !== shortNames.length) {
      throw new HarnessError('BadSshUserNames', `SshServer users must be distinct, match ${SHORT_NAME}, and there must be one at least`);
    }
    const binaries = opensshBinaries();
    const dir = mkdtempSync(join(tmpdir(), 'airlock-sshd-'));
    // The users traverse it: sshd reads authorized_keys and enters the home as the user.
    chmodSync(dir, 0o711);
    const supervisor = new Supervisor(join(dir, 'logs'));
    supervisor.ownDir(dir);
    const logins: string[] = [];
    // Before any login: sshd writes the machine's login records (login-records.ts).
    const records = markLoginRecords();
    try {
      const startedAt = performance.now();
      const hostKeys = await writeHostKeys(binaries, join(dir, 'host-keys'), options.hostKeyTypes ?? ['ed25519']);
      const suffix = randomBytes(3).toString('hex');
      const users: Record<string, SshLoginUser> = {};
      for (const short of shortNames) {
        const name = `airlock-ssh-${suffix}-${short}`;
        // Told first: a death during useradd still removes the user.
        supervisor.removeUserOnDeath(name);
        logins.push(name);
        users[short] = await createUser(dir, name);
        noteUid(records, users[short].uid);
      }
      supervisor.releasePrivsepDirOnDeath(PRIVSEP_DIR);
      const configFile = join(dir, 'sshd_config');
      const trustedUserCaKeysFile = options.trustedUserCaKeys?.length ? join(dir, 'trusted-user-ca-keys') : undefined;
      if (trustedUserCaKeysFile)
        writeFileSync(trustedUserCaKeysFile, `${options.trustedUserCaKeys!.map(withoutComment).join('\n')}\n`, { mode: 0o644 });
      // sshd appends to the supervisor's log of it (-E), so logTail() shows what it logged.
      const logFile = join(dir, 'logs', 'sshd.log');
      for (let attempt = 1; ; attempt++) {
        claimPrivsepDir();
        const port = await freePort();
        writeFileSync(
          configFile,
          sshdConfig({
            port,
            hostKeyPaths: hostKeys.map((k) => k.path),
            pidFile: join(dir, 'sshd.pid'),
            authorizedKeysDir: join(dir, 'authorized_keys'),
            allowUsers: logins,
            ...(trustedUserCaKeysFile ? { trustedUserCaKeysFile } : {}),
            settings: options.settings ?? {},
          }),
        );
        const sshd = supervisor.start('sshd', binaries.sshd, ['-D', '-e', '-f', configFile, '-E', logFile]);
        if (sshd.child.pid !== undefined) supervisor.stopDescendantsOnDeath(sshd.child.pid);
        try {
          await waitUntilReady('sshd', {
            exited: sshd.exited,
            ready: () => readFileSync(logFile, 'utf8').includes(`Server listening on 127.0.0.1 port ${port}.`),
            logTail: () => supervisor.logTail('sshd'),
            timeoutMs: START_TIMEOUT_MS,
          });
          log(`sshd ${binaries.version} ready on 127.0.0.1:${port} in ${Math.round(performance.now() - startedAt)} ms`);
          return new SshServer({ port, dir, hostKeys: hostKeys.map((k) => k.publicKey), users, binaries, supervisor, sshd, records });
        } catch (error) {
          await supervisor.stop('sshd');
          // Another process took the port, or another harness removed /run/sshd as this one started.
          const retry =
            error instanceof HarnessError &&
            error.code === 'ComponentExited' &&
            /Address already in use|Cannot bind any address|Missing privilege separation directory/.test(error.message);
          if (!retry || attempt === START_ATTEMPTS) throw error;
        }
      }
    } catch (error) {
      // The start failure is the news; what cleanUp cannot remove, the watchdog does at exit.
      await cleanUp(supervisor, undefined, logins, dir, records).catch(() => {});
      throw error;
    }
  }

  /** The known_hosts line for one host key (default the first), `[127.0.0.1]:port type base64`. */
  knownHostsLine(hostKey: string = this.hostKeys[0]!): string {
    return `[${this.host}]:${this.port} ${hostKey}`;
  }

  /** The end of sshd's log (LogLevel VERBOSE: connections, accepted keys and passwords, sessions). */
  logTail(lines = 30): string {
    // sshd ends the lines it writes to stderr with \r\n.
    return this.#supervisor.logTail('sshd', lines).replaceAll('\r', '');
  }

  /** Ends sshd and every session it started, removes the users and the temp dir. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopped ??= cleanUp(
      this.#supervisor,
      this.#sshd.child.pid,
      Object.values(this.users).map((u) => u.name),
      this.dir,
      this.#records,
    );
    return this.#stopped;
  }
}

async function writeHostKeys(
  binaries: OpensshBinaries,
  keyDir: string,
  types: readonly SshKeyType[],
): Promise<{ path: string; publicKey: string }[]> {
  if (types.length === 0 || new Set(types).size !== types.length) {
    throw new HarnessError('BadHostKeyTypes', 'hostKeyTypes must name at least one key type, each once');
  }
  mkdirSync(keyDir, { mode: 0o700 });
  return Promise.all(
    types.map(async (type) => {
      const path = join(keyDir, `ssh_host_${type}_key`);
      return { path, publicKey: await writeKeyFiles(binaries.sshKeygen, path, type) };
    }),
  );
}

async function createUser(dir: string, name: string): Promise<SshLoginUser> {
  const home = join(dir, 'home', name);
  const keysFile = join(dir, 'authorized_keys', name);
  mkdirSync(join(dir, 'home'), { recursive: true, mode: 0o711 });
  mkdirSync(join(dir, 'authorized_keys'), { recursive: true, mode: 0o755 });
  const account: RunAs = await createLoginUser(name, home);
  assertReachable(home, account);
  mkdirSync(home, { mode: 0o700 });
  chownSync(home, account.uid, account.gid);
  writeFileSync(keysFile, '', { mode: 0o644 });
  let password = randomBytes(18).toString('base64url');
  setLoginPassword(name, password);
  return {
    ...account,
    home,
    get password() {
      return password;
    },
    authorize(publicKey: string) {
      if (/[\r\n]/.test(publicKey.trim())) throw new HarnessError('BadPublicKey', 'authorize() takes one public key line');
      writeFileSync(keysFile, `${publicKey.trim()}\n`, { flag: 'a' });
    },
    setPassword(next: string) {
      setLoginPassword(name, next);
      password = next;
    },
  };
}

/**
 * sshd gives each connection a session of its own, so stopping its process group leaves sessions
 * running: they are found as its descendants before it goes (and by their users' uids when the
 * users are removed). Every step runs even when one fails; the first failure is thrown at the end.
 */
async function cleanUp(
  supervisor: Supervisor,
  sshdPid: number | undefined,
  logins: string[],
  dir: string,
  records: LoginRecordsMark,
): Promise<void> {
  const failures: unknown[] = [];
  const step = async (action: () => unknown) => {
    try {
      await action();
    } catch (error) {
      failures.push(error);
    }
  };
  const sessions = sshdPid === undefined ? [] : descendantsOf([sshdPid]);
  await step(() => supervisor.stopAll());
  await step(() => terminate(sessions));
  for (const name of logins) await step(() => removeLoginUser(name));
  await step(() => releasePrivsepDir());
  await step(() => restoreLoginRecords(records));
  if (failures.length > 0) {
    // Not released: the watchdog tries again when this process exits.
    const message = `stopping the test sshd left something behind: ${String(failures[0])}`;
    throw new HarnessError('SshServerCleanupFailed', message, { cause: failures[0] });
  }
  supervisor.release([dir]);
}
