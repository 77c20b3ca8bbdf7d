#!/usr/bin/env bash
# `make demo`: local control plane + Eucalyptus simulators + operator + samples, until the images are registered.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/ensure-tools.sh)"
exec node scripts/demo.ts "$@"
