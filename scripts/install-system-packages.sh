#!/usr/bin/env bash
# Installs the Debian packages the integration tests and benchmarks start as real peers:
# PostgreSQL (server, contrib for pgbench, client for psql) and PgBouncer. Nothing happens when
# every binary is already there, so this is cheap to run before every test target.
#
# The harness starts its own servers on random loopback ports with temp data dirs; it never uses
# the clusters or services the packages set up. So that installing does not leave a PostgreSQL on
# 5432 or a PgBouncer on 6432 running, services are kept from starting during the install with a
# policy-rc.d that refuses every start (the mechanism invoke-rc.d and deb-systemd-invoke honour).
# An existing policy-rc.d is left as it is. On a machine with systemd the units stay enabled, so
# they start at the next boot; the harness does not care either way.
set -euo pipefail

packages=(postgresql postgresql-contrib postgresql-client pgbouncer)

missing=()
server_found=""
for dir in /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && [ -x "$dir/pg_ctl" ]; then server_found=$dir; fi
done
[ -n "$server_found" ] || missing+=("initdb, postgres, pg_ctl (/usr/lib/postgresql/*/bin)")
# psql and pgbench in /usr/bin are Debian's pg_wrapper: present with postgresql-client-common
# alone, so ask them to run rather than only looking for the file.
psql --version >/dev/null 2>&1 || missing+=(psql)
pgbench --version >/dev/null 2>&1 || missing+=(pgbench)
{ command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; } || missing+=(pgbouncer)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-packages: PostgreSQL ($server_found) and PgBouncer are installed"
  exit 0
fi
echo "install-system-packages: missing: ${missing[*]}"

command -v apt-get >/dev/null 2>&1 || {
  echo "install-system-packages: no apt-get here; install PostgreSQL (server, psql, pgbench) and PgBouncer with the system's package manager" >&2
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

"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"

psql --version >/dev/null && pgbench --version >/dev/null && { command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ]; } || {
  echo "install-system-packages: the packages installed but a binary is still missing" >&2
  exit 1
}
echo "install-system-packages: installed ${packages[*]} (services not started)"
