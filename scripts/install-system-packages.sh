#!/usr/bin/env bash
# Installs the Debian packages the integration and end-to-end tests and the benchmarks run for
# real: PostgreSQL (server, contrib for pgbench, client for psql), PgBouncer and OpenSSH (sshd,
# and ssh, scp and ssh-keygen) as peers, and skopeo and containerd (with ctr), the loaders the
# image test hands the image archive to; for the test node (testkit/src/node/): runc, the CNI
# plugins (bridge, host-local, loopback in /usr/lib/cni), iptables and nftables (nft removes the
# tables kube-proxy adds when the node stops), and gcc with the static C library for the pause
# image; asciinema, which reads and plays the asciicast files SSH recordings are exported to;
# rsync, which the file transfer tests run on both ends. Only what is missing is installed, and
# nothing happens when every binary is already there, so this is cheap to run before every test
# target.
#
# The harness starts its own servers on random loopback ports with temp data dirs, and its own
# containerd with a temp root and socket; it never uses the clusters or services the packages set
# up. So that installing does not leave a PostgreSQL on 5432, a PgBouncer on 6432, an sshd on 22
# or a containerd on /run/containerd running, services are kept from starting during the install
# with a policy-rc.d that refuses every start (the mechanism invoke-rc.d and deb-systemd-invoke
# honour; containerd's postinst starts its unit through deb-systemd-invoke, and only under
# systemd). An existing policy-rc.d is left as it is. On a machine with systemd the units stay
# enabled, so they start at the next boot; the harness does not care either way, except for sshd:
# a login service on port 22 of every interface is not something a test install may leave behind.
# So when this script is what installs openssh-server, it first writes /etc/ssh/sshd_not_to_be_run,
# Debian's switch that keeps the ssh service from ever starting (its init script and systemd unit
# check it; the sshd binary itself does not, so the harness's sshd runs). Remove that file to run
# the machine's own ssh service. The package also makes host keys in /etc/ssh and an `sshd`
# privilege separation user; the harness uses neither the keys nor /etc/ssh/sshd_config.
set -euo pipefail

missing=()
packages=()

server_found=""
for dir in /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && [ -x "$dir/pg_ctl" ]; then server_found=$dir; fi
done
postgres_missing=()
[ -n "$server_found" ] || postgres_missing+=("initdb, postgres, pg_ctl (/usr/lib/postgresql/*/bin)")
# psql and pgbench in /usr/bin are Debian's pg_wrapper: present with postgresql-client-common
# alone, so ask them to run rather than only looking for the file.
psql --version >/dev/null 2>&1 || postgres_missing+=(psql)
pgbench --version >/dev/null 2>&1 || postgres_missing+=(pgbench)
{ command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; } || postgres_missing+=(pgbouncer)
if [ ${#postgres_missing[@]} -ne 0 ]; then
  missing+=("${postgres_missing[@]}")
  packages+=(postgresql postgresql-contrib postgresql-client pgbouncer)
fi

skopeo --version >/dev/null 2>&1 || { missing+=(skopeo); packages+=(skopeo); }
containerd_missing=()
containerd --version >/dev/null 2>&1 || containerd_missing+=(containerd)
ctr --version >/dev/null 2>&1 || containerd_missing+=(ctr)
if [ ${#containerd_missing[@]} -ne 0 ]; then
  missing+=("${containerd_missing[@]}")
  packages+=(containerd)
fi

runc --version >/dev/null 2>&1 || { missing+=(runc); packages+=(runc); }
cni_missing=()
for plugin in bridge host-local loopback; do [ -x "/usr/lib/cni/$plugin" ] || cni_missing+=("/usr/lib/cni/$plugin"); done
if [ ${#cni_missing[@]} -ne 0 ]; then
  missing+=("${cni_missing[@]}")
  packages+=(containernetworking-plugins)
fi
iptables_missing=()
for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  "$tool" --version >/dev/null 2>&1 || iptables_missing+=("$tool")
done
if [ ${#iptables_missing[@]} -ne 0 ]; then
  missing+=("${iptables_missing[@]}")
  packages+=(iptables)
fi
nft --version >/dev/null 2>&1 || { missing+=(nft); packages+=(nftables); }
ssh_missing=()
[ -x /usr/sbin/sshd ] || ssh_missing+=(/usr/sbin/sshd)
for tool in ssh scp ssh-keygen; do command -v "$tool" >/dev/null 2>&1 || ssh_missing+=("$tool"); done
if [ ${#ssh_missing[@]} -ne 0 ]; then
  missing+=("${ssh_missing[@]}")
  packages+=(openssh-server openssh-client)
fi
asciinema --version >/dev/null 2>&1 || { missing+=(asciinema); packages+=(asciinema); }
# The file transfer tests run rsync as the agent, and the test sshd's user runs rsync --server.
rsync --version >/dev/null 2>&1 || { missing+=(rsync); packages+=(rsync); }
# The PostgreSQL benchmark's breakdown counts syscalls and context switches of the measured process.
strace -V >/dev/null 2>&1 || { missing+=(strace); packages+=(strace); }
perf --version >/dev/null 2>&1 || { missing+=(perf); packages+=(linux-perf); }
# A static pause binary needs the static C library (libc.a from libc6-dev), not only the compiler.
if ! gcc --version >/dev/null 2>&1 || [ ! -f "$(gcc -print-file-name=libc.a)" ]; then
  missing+=("gcc with libc.a")
  packages+=(gcc libc6-dev)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-packages: PostgreSQL ($server_found), PgBouncer, OpenSSH, skopeo, containerd, runc, the CNI plugins, iptables, nftables, gcc, asciinema, rsync, strace and perf are installed"
  exit 0
fi
echo "install-system-packages: missing: ${missing[*]}"

command -v apt-get >/dev/null 2>&1 || {
  echo "install-system-packages: no apt-get here; install ${packages[*]} with the system's package manager" >&2
  exit 1
}
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "install-system-packages: installing needs root; run as root or install sudo, or run: apt-get install ${packages[*]}" >&2
    exit 1
  }
  sudo=(sudo)
fi

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# written by airlock scripts/install-system-packages.sh during apt-get install\nexit 101\n' \
    | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi

# Only when this run installs the server: an sshd the machine already had keeps running as it did.
no_start=/etc/ssh/sshd_not_to_be_run
if [ ${#ssh_missing[@]} -ne 0 ] && ! dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -q 'ok installed' && [ ! -e "$no_start" ]; then
  "${sudo[@]}" mkdir -p /etc/ssh
  printf 'written by airlock scripts/install-system-packages.sh: the tests run their own sshd; remove to run the ssh service\n' \
    | "${sudo[@]}" tee "$no_start" >/dev/null
fi

"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"

psql --version >/dev/null && pgbench --version >/dev/null && { command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ]; } &&
  skopeo --version >/dev/null && containerd --version >/dev/null && ctr --version >/dev/null && runc --version >/dev/null &&
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] &&
  iptables-restore --version >/dev/null && ip6tables-restore --version >/dev/null && nft --version >/dev/null &&
  [ -x /usr/sbin/sshd ] && ssh -V 2>/dev/null && command -v scp >/dev/null && command -v ssh-keygen >/dev/null &&
  [ -f "$(gcc -print-file-name=libc.a)" ] && asciinema --version >/dev/null && rsync --version >/dev/null || {
  echo "install-system-packages: the packages installed but a binary is still missing" >&2
  exit 1
}
echo "install-system-packages: installed ${packages[*]} (services not started)"
