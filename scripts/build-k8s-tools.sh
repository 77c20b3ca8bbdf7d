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

build_wrapper() { # name, module requirements (go.mod body), package, output, extra -ldflags (version stamps)
  local name=$1 body=$2 pkg=$3 out=$4 xflags=${5:-}
  local ldflags="-s -w $xflags"
  # A binary counts as cached only if it was linked with the same flags; a changed stamp relinks it (quick:
  # the compiled packages come from Go's build cache).
  if [ -x "$bin/$out" ] && [ "$(cat "$bin/.$out.ldflags" 2>/dev/null)" = "$ldflags" ]; then log "$out: cached"; return; fi
  local dir; dir=$(mktemp -d "${TMPDIR:-/tmp}/eio-build-$name.XXXXXX")
  trap 'rm -rf "$dir"' RETURN
  printf 'module eio.local/build/%s\n\ngo 1.24\n\n%s\n' "$name" "$body" > "$dir/go.mod"
  printf 'package tools\n\nimport _ "%s"\n' "$pkg" > "$dir/tools.go"
  log "$out: resolving modules for $pkg"
  (cd "$dir" && GOFLAGS=-mod=mod go mod tidy >&2)
  log "$out: compiling (the first build takes several minutes)"
  local start=$SECONDS
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="$ldflags" -o "$bin/$out.tmp" "$pkg")
  mv "$bin/$out.tmp" "$bin/$out"
  printf '%s' "$ldflags" > "$bin/.$out.ldflags"
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

# Without these stamps the binaries report v0.0.0-master / helm's 1.20 default, and charts with a kubeVersion
# constraint refuse to template or install. Helm's default is the client-go minor it is built with, as upstream.
k8s_minor=${KUBERNETES_VERSION#1.}; k8s_minor=${k8s_minor%%.*}
k8s_stamp=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_stamp+=" -X $p.gitVersion=v$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean"
done
helm_client_go=$(go mod download -json "helm.sh/helm/v3@v$HELM_VERSION" >/dev/null && \
  awk '$1 == "k8s.io/client-go" {print $2}' "$(go env GOMODCACHE)/cache/download/helm.sh/helm/v3/@v/v$HELM_VERSION.mod")
helm_k8s_minor=$(echo "$helm_client_go" | cut -d. -f2)
helm_stamp="-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
helm_stamp+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$helm_k8s_minor"

build_wrapper kube-apiserver "$k8s_body" k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver "$k8s_stamp"
build_wrapper kubectl "$k8s_body" k8s.io/kubernetes/cmd/kubectl kubectl "$k8s_stamp"
build_wrapper etcd "require go.etcd.io/etcd/server/v3 v$ETCD_VERSION" go.etcd.io/etcd/server/v3 etcd
build_wrapper helm "require helm.sh/helm/v3 v$HELM_VERSION" helm.sh/helm/v3/cmd/helm helm "$helm_stamp"
echo "$bin"
