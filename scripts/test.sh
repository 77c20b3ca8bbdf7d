#!/usr/bin/env bash
# Runs every test tier (static checks, unit, integration, packaging) and ends with one line:
# "N passed, N failed" summed over all tiers. Exits non-zero when anything failed or no test ran.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
eval "$(bash scripts/ensure-tools.sh)" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
export EIO_TEST_RUN=${EIO_TEST_RUN:-run-$$-$(date +%s)}
totals=$(mktemp); export EIO_TEST_TOTALS=$totals
static_failed=0
step() { echo; echo "==> $*"; }

step "lint";       npx eslint . || static_failed=$((static_failed + 1))
step "typecheck";  npx tsc -p tsconfig.json || static_failed=$((static_failed + 1))
step "CRDs are generated from the schemas"; node scripts/gen-crds.ts --check || static_failed=$((static_failed + 1))
step "chart CRDs, deploy/ and the Argo CD snippet are rendered from the sources"; bash scripts/render-deploy.sh --check || static_failed=$((static_failed + 1))

run_tier() { # name, mocharc, [files...]
  local tier=$1 rc=$2; shift 2
  step "$tier tests"
  EIO_TEST_TIER=$tier npx mocha --config "$rc" --reporter "$root/test/support/totals-reporter.cjs" "$@"
}
run_tier unit .mocharc.unit.json "test/unit/**/*.test.ts"
run_tier integration .mocharc.integration.json "test/integration/**/*.test.ts"
step "no stray processes of run $EIO_TEST_RUN"
bash scripts/check-no-strays.sh "$EIO_TEST_RUN" || static_failed=$((static_failed + 1))

node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
  let p = 0, f = Number(process.argv[2]);
  for (const l of lines) { console.log(`  ${l.tier}: ${l.passed} passed, ${l.failed} failed`); p += l.passed; f += l.failed; }
  if (Number(process.argv[2])) console.log(`  static checks: ${process.argv[2]} failed`);
  console.log(`${p} passed, ${f} failed`);
  process.exit(f > 0 || p === 0 ? 1 : 0);
' "$totals" "$static_failed"
rc=$?
rm -f "$totals"
exit $rc
