#!/usr/bin/env bash
# Provides a Lua 5.1 VM (the language version of gopher-lua, which Argo CD embeds) for the Argo CD health-check
# tests: the `lupa` package from PyPI, whose wheels bundle a real Lua 5.1 (`lupa.lua51`), in a venv cached outside
# the work tree and keyed by version. Prints the venv's python on its last line; callers run
# `<python> -c 'import lupa.lua51'` or the project's runner script with it.
set -euo pipefail
LUPA_VERSION=2.8
cache=${EIO_CACHE:-$HOME/.cache/eucalyptus-image-operator}
venv="$cache/lupa-$LUPA_VERSION/venv"
py="$venv/bin/python"
log() { echo "[lua] $*" >&2; }

# A marker written last tells a complete venv from one whose install was interrupted.
if [ -x "$py" ] && [ -f "$venv/.complete" ]; then
  log "lupa $LUPA_VERSION (Lua 5.1): cached"
  echo "$py"
  exit 0
fi

python=${PYTHON:-$(command -v python3 || true)}
[ -n "$python" ] || { log "python3 is required for the Lua 5.1 VM"; exit 1; }
log "lupa $LUPA_VERSION: creating venv in $venv"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$py" -m pip install --quiet "lupa==$LUPA_VERSION" >&2
# Fails here, not in a test, when the wheel lacks the Lua 5.1 runtime.
"$py" -c 'import lupa.lua51 as l; v = l.LuaRuntime().eval("_VERSION"); assert v == "Lua 5.1", v' >&2
touch "$venv/.complete"
log "lupa $LUPA_VERSION (Lua 5.1): ready"
echo "$py"
