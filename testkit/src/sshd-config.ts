/**
 * The sshd_config of a test server: loopback only, its own host keys and authorized_keys files,
 * key and password logins for the test users only (and certificates of the user CAs a test
 * names), forwarding allowed (tests check that the sidecar refuses it, so the upstream must not
 * be the one refusing), the built-in SFTP server.
 * Neither /etc/ssh/sshd_config nor the machine's host keys are read: defaults are compiled in, and no
 * Include is written.
 */
export interface SshdConfigInput {
  port: number;
  hostKeyPaths: readonly string[];
  pidFile: string;
  /** `%u` is appended: one file per user, written by the harness. */
  authorizedKeysDir: string;
  /** The only users who may log in. */
  allowUsers: readonly string[];
  /** A file of user certificate authorities' public keys (TrustedUserCAKeys); none when absent. */
  trustedUserCaKeysFile?: string;
  /** More settings, for example `{ MaxStartups: 200 }`; a keyword given here replaces the harness's. */
  settings?: Readonly<Record<string, string | number>>;
}

export function sshdConfig(input: SshdConfigInput): string {
  const settings: [string, string | number][] = [
    ['ListenAddress', '127.0.0.1'],
    ['Port', input.port],
    ...input.hostKeyPaths.map((path): [string, string] => ['HostKey', path]),
    ['PidFile', input.pidFile],
    // Root runs sshd, but the files live in a temp dir whose modes StrictModes would question.
    ['StrictModes', 'no'],
    // sshd's own checks: a PAM stack would bring the machine's policy (and its logs) into tests.
    ['UsePAM', 'no'],
    ['AuthorizedKeysFile', `${input.authorizedKeysDir}/%u`],
    // A certificate signed by one of these logs in as a user it names (no AuthorizedPrincipalsFile: the user's own name).
    ...(input.trustedUserCaKeysFile ? [['TrustedUserCAKeys', input.trustedUserCaKeysFile] as [string, string]] : []),
    ['PubkeyAuthentication', 'yes'],
    ['PasswordAuthentication', 'yes'],
    ['PermitEmptyPasswords', 'no'],
    ['KbdInteractiveAuthentication', 'no'],
    ['PermitRootLogin', 'no'],
    ['AllowUsers', input.allowUsers.join(' ')],
    ['AllowTcpForwarding', 'yes'],
    ['AllowStreamLocalForwarding', 'yes'],
    ['X11Forwarding', 'no'],
    ['PrintMotd', 'no'],
    ['PrintLastLog', 'no'],
    ['UseDNS', 'no'],
    ['Subsystem', 'sftp internal-sftp'],
    ['LogLevel', 'VERBOSE'],
  ];
  // sshd keeps the first value it reads for most keywords, so overrides go first.
  const overrides = Object.entries(input.settings ?? {});
  const overridden = new Set(overrides.map(([key]) => key.toLowerCase()));
  const lines = [...overrides, ...settings.filter(([key]) => !overridden.has(key.toLowerCase()))].map(([k, v]) => `${k} ${v}`);
  return `# airlock test harness\n${lines.join('\n')}\n`;
}
