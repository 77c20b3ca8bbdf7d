#!/usr/bin/env bash
# `make soak`: resources applied and deleted in waves under random cloud faults and leader kills, then the
# invariant checker (see docs/reliability.md). SOAK_SECONDS (default 300) bounds the waves; SOAK_SEED repeats a run.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/ensure-tools.sh)"
exec node scripts/soak.ts
