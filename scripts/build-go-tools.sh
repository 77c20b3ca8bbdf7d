#!/usr/bin/env bash
# Builds the Go judges the status conformance and alert tests run, at the versions pinned in scripts/versions.env,
# into a cache outside the work tree keyed by those versions and by our sources in test/tools:
#   kstatus-judge   our main (test/tools/kstatus-judge) over sigs.k8s.io/cli-utils' kstatus
#   argocd-health   our main (test/tools/argocd-health) over Argo CD's own util/lua package (its health-script VM)
#   promtool        Prometheus's own, from its Go module
# Later runs find the binaries and return at once. Prints the bin folder on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${EIO_CACHE:-$HOME/.cache/eucalyptus-image-operator}
log() { echo "[go-tools] $*" >&2; }

# Each tool is cached under a key of its pins and, for ours, its source: editing one main.go rebuilds only it.
# The folder printed at the end links this checkout's builds; it is keyed by them, so checkouts at different
# versions never see each other's tools.
links=()
build() { # output, go.mod requirements, package to build, [folder of our main.go]
  local out=$1 requires=$2 pkg=$3 main=${4:-}
  local key; key=$( (echo "$requires $pkg"; [ -z "$main" ] || cat "$root/$main/main.go") | sha256sum | cut -c1-12)
  local built="$cache/go-tools/$out-$key"
  links+=("$built/$out")
  if [ -x "$built/$out" ]; then log "$out: cached"; return; fi
  local dir; dir=$(mktemp -d "${TMPDIR:-/tmp}/eio-build-$out.XXXXXX")
  trap 'rm -rf "$dir"' RETURN
  printf 'module eio.local/tools/%s\n\ngo 1.24\n\n%s\n' "$out" "$requires" > "$dir/go.mod"
  if [ -n "$main" ]; then
    cp "$root/$main/main.go" "$dir/main.go"
  else
    printf 'package tools\n\nimport _ "%s"\n' "$pkg" > "$dir/tools.go"
  fi
  log "$out: resolving modules"
  (cd "$dir" && GOFLAGS=-mod=mod go mod tidy >&2)
  log "$out: compiling"
  local start=$SECONDS
  mkdir -p "$built"
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$built/$out.tmp" "$pkg")
  mv "$built/$out.tmp" "$built/$out"
  log "$out: built in $((SECONDS - start))s"
}

k8s_minor=${KUBERNETES_VERSION#1.}
build kstatus-judge "require (
	sigs.k8s.io/cli-utils v$CLI_UTILS_VERSION
	k8s.io/apimachinery v0.$k8s_minor
)" . test/tools/kstatus-judge
# Argo CD's own replace directives (Go ignores a dependency's), except those to folders of its repository; its
# Kubernetes libraries at the pinned Kubernetes patch release of the same minor, which the cluster tools are
# built with, so their compiled packages are shared.
argocd_mod=$(go mod download -json "github.com/argoproj/argo-cd/v3@v$ARGOCD_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
argocd_replaces=$(awk '/^replace \(/ { block = 1; next } block && /^\)/ { block = 0; next } block { print } /^replace [^(]/ { sub(/^replace /, ""); print }' "$argocd_mod" \
  | grep '=>' | grep -v '=> \./' \
  | sed -E "s#^([[:space:]]*k8s\.io/[a-z0-9-]+ => k8s\.io/[a-z0-9-]+) v0\.${k8s_minor%%.*}\.[0-9]+\$#\1 v0.$k8s_minor#; s#^([[:space:]]*k8s\.io/kubernetes => k8s\.io/kubernetes) v1\.${k8s_minor%%.*}\.[0-9]+\$#\1 v$KUBERNETES_VERSION#")
build argocd-health "require github.com/argoproj/argo-cd/v3 v$ARGOCD_VERSION

replace (
$argocd_replaces
)" . test/tools/argocd-health
build promtool "require github.com/prometheus/prometheus v$PROMETHEUS_VERSION" github.com/prometheus/prometheus/cmd/promtool

bin="$cache/go-tools/bin-$(printf '%s\n' "${links[@]}" | sha256sum | cut -c1-12)"
mkdir -p "$bin"
for tool in "${links[@]}"; do ln -sfn "$tool" "$bin/$(basename "$tool")"; done
echo "$bin"
