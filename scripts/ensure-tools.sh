#!/usr/bin/env bash
# Makes everything the tests and the demo need present: the pinned Node.js, npm dependencies, the Kubernetes
# tools (kube-apiserver, kubectl, etcd, helm), the moto venv and the Go judges of the status tests (kstatus,
# Argo CD's health-script VM, promtool). The pinned kubectl and helm are put first on PATH. Idempotent and quick when all is in place.
# Progress goes to stderr; stdout carries only `export` lines, so callers do: eval "$(bash scripts/ensure-tools.sh)"
# The same lines are written to .tools/env.sh for `source`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=versions.env
. scripts/versions.env
cache=${EIO_CACHE:-$HOME/.cache/eucalyptus-image-operator}
mkdir -p "$cache" .tools
log() { echo "[ensure-tools] $*" >&2; }
need() { command -v "$1" >/dev/null || { log "missing $1: $2"; exit 1; }; }
need openssl "the test control plane makes its TLS material with it"
need python3 "moto runs in a Python venv"

# Serialises builds between concurrent callers (parallel make targets, several terminals).
locked() { local name=$1; shift; flock "$cache/.$name.lock" "$@"; }

# 1. Node.js
node_bin=$(bash scripts/ensure-node.sh)
export PATH="$node_bin:$PATH"
log "node $(node --version) in $node_bin"

# 2. npm dependencies: reinstall when node_modules lacks a package (at the locked version) that
# package-lock.json asks for. npm's own record of what it installed is node_modules/.package-lock.json.
deps_stale() {
  [ -f node_modules/.package-lock.json ] || return 0
  ! node -e '
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages ?? {};
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages ?? {};
    for (const [path, p] of Object.entries(want)) {
      if (path === "" || p.link) continue;
      // Optional packages for other platforms are never installed.
      if (!have[path] && p.optional) continue;
      if (!have[path] || have[path].version !== p.version) { console.error("[ensure-tools] npm: " + path + " differs"); process.exit(1); }
    }'
}
if deps_stale; then
  log "npm: installing dependencies (npm ci)"
  locked npm npm ci --no-audit --no-fund >&2
else
  log "npm: dependencies up to date"
fi

# 3. Kubernetes tools, built from Go modules once per version set (the script returns at once when cached).
need go "the Kubernetes tools are built from their Go modules"
bin_dir=$(locked k8s-build bash scripts/build-k8s-tools.sh | tail -n 1)
log "k8s tools: kube-apiserver, kubectl, etcd, helm in $bin_dir"

# 4. moto (AWS emulator) in its own venv.
moto_server=$(locked moto bash scripts/setup-moto.sh | tail -n 1)

# 5. The Go judges of the status and alert tests: kstatus, Argo CD's health-script VM, promtool.
go_tools=$(locked go-tools bash scripts/build-go-tools.sh | tail -n 1)
log "judges: kstatus-judge, argocd-health, promtool in $go_tools"

# The pinned kubectl and helm (and node) come first on PATH, so a shell that evals or sources this uses them.
{
  printf 'export PATH=%q:%q:"$PATH"\n' "$node_bin" "$bin_dir"
  printf 'export EIO_CACHE=%q\n' "$cache"
  printf 'export EIO_BIN_DIR=%q\n' "$bin_dir"
  printf 'export EIO_GO_TOOLS_DIR=%q\n' "$go_tools"
  printf 'export EIO_MOTO_SERVER=%q\n' "$moto_server"
} > .tools/env.sh.tmp
mv .tools/env.sh.tmp .tools/env.sh
cat .tools/env.sh
log "ready (also written to .tools/env.sh)"
