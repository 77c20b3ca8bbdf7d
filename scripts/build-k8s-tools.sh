#!/usr/bin/env bash
# Builds kube-apiserver, kubectl, etcd and helm from their published Go modules at the pinned versions
# (scripts/versions.env) into a cache outside the work tree, keyed by those versions. Only the first run on a
# machine builds; later runs find the binaries and return at once. Prints the bin folder on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${EIO_CACHE:-$HOME/.cache/eucalyptus-image-operator}
bin="$cache/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION/bin"
mkdir -p "$bin"
log() { echo "[k8s-tools] $*" >&2; }

staging_minor="v0.${KUBERNETES_VERSION#1.}"   # k8s 1.34.4 publishes its staging modules as v0.34.4

build_wrapper() { # name, module requirements (go.mod body), package, output
  local name=$1 body=$2 pkg=$3 out=$4
  if [ -x "$bin/$out" ]; then log "$out: cached"; return; fi
  local dir; dir=$(mktemp -d "${TMPDIR:-/tmp}/eio-build-$name.XXXXXX")
  trap 'rm -rf "$dir"' RETURN
  printf 'module eio.local/build/%s\n\ngo 1.24\n\n%s\n' "$name" "$body" > "$dir/go.mod"
  printf 'package tools\n\nimport _ "%s"\n' "$pkg" > "$dir/tools.go"
  log "$out: resolving modules for $pkg"
  (cd "$dir" && GOFLAGS=-mod=mod go mod tidy >&2)
  log "$out: compiling (the first build takes several minutes)"
  local start=$SECONDS
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags='-s -w' -o "$bin/$out.tmp" "$pkg")
  mv "$bin/$out.tmp" "$bin/$out"
  log "$out: built in $((SECONDS - start))s"
}

k8s_body="require k8s.io/kubernetes v$KUBERNETES_VERSION
replace ("
for m in $(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" >/dev/null && \
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$KUBERNETES_VERSION.mod" | awk '{print $1}'); do
  k8s_body+="
	$m => $m $staging_minor"
done
k8s_body+="
)"

build_wrapper kube-apiserver "$k8s_body" k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver
build_wrapper kubectl "$k8s_body" k8s.io/kubernetes/cmd/kubectl kubectl
build_wrapper etcd "require go.etcd.io/etcd/server/v3 v$ETCD_VERSION" go.etcd.io/etcd/server/v3 etcd
build_wrapper helm "require helm.sh/helm/v3 v$HELM_VERSION" helm.sh/helm/v3/cmd/helm helm
echo "$bin"
