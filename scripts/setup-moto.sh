#!/usr/bin/env bash
# Creates a Python venv holding moto's standalone server at the pinned version (scripts/versions.env), cached
# outside the work tree and keyed by that version, so later runs reuse it at once. Prints the path of
# moto_server on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${EIO_CACHE:-$HOME/.cache/eucalyptus-image-operator}
venv="$cache/moto-$MOTO_VERSION/venv"
server="$venv/bin/moto_server"
log() { echo "[moto] $*" >&2; }

# A marker written last tells a complete venv from one whose install was interrupted.
if [ -x "$server" ] && [ -f "$venv/.complete" ]; then
  log "moto $MOTO_VERSION: cached"
  echo "$server"
  exit 0
fi

python=${PYTHON:-$(command -v python3 || true)}
[ -n "$python" ] || { log "python3 is required to run moto"; exit 1; }
log "moto $MOTO_VERSION: creating venv in $venv"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip >&2
log "moto $MOTO_VERSION: installing moto[server]"
"$venv/bin/python" -m pip install --quiet "moto[server]==$MOTO_VERSION" >&2
"$server" --help >/dev/null
touch "$venv/.complete"
log "moto $MOTO_VERSION: ready"
echo "$server"
