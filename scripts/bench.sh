#!/usr/bin/env bash
# `make bench`: the operator at scale against eucasim, batched vs naive polling (see docs/performance.md).
# BENCH_QUICK=1 for a few-minute run; BENCH_OUT=path.json to choose where the results go.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/ensure-tools.sh)"
# The operator is measured as shipped: compiled to dist/.
npm run build --silent
exec node bench/run.ts
