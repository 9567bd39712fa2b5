#!/usr/bin/env bash
# `npm test`: installs and starts the real services, runs biome and bun's tests
# against them, stops the services, and ends on one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
S=scripts/services
. "$S/common.sh"   # for TCC_SERVICES_DIR

bash "$S/install.sh" || { echo "service install failed" >&2; exit 1; }
# Stop the services however we leave (failure, Ctrl-C); quietly, so nothing
# follows the summary line. INT/TERM go through exit so the EXIT trap runs.
trap 'bash "$S/stop.sh" >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM
bash "$S/start.sh" || { echo "service start failed" >&2; exit 1; }
# The edge tests start their own workerd (Miniflare) per test file, in front of their own core.
set -a
# shellcheck disable=SC1091
. "$TCC_SERVICES_DIR/env"   # also sets TCC_TEST_SERVICES_DIR for the tests
set +a

status=0
if ! node_modules/.bin/biome check .; then
  biome_failed=1; status=1
fi
# Strict TypeScript over every package (the Worker against the Workers types), and the Prometheus alert rules with their unit tests.
for check in "node_modules/.bin/tsc -p tsconfig.json --noEmit" "node_modules/.bin/tsc -p edge/tsconfig.json" "node_modules/.bin/tsc -p load-tests/tsconfig.json" "bash deploy/prometheus/check.sh"; do
  if ! $check >/dev/null 2>&1 && ! $check; then
    echo "check failed: $check" >&2; checks_failed=1; status=1
  fi
done

# terraform: fmt, and validate + test of the provider-free rollout plan; one summary line
# (scripts/ops/terraform-check.sh says what it can and cannot check here).
if tf_out=$(bash scripts/ops/terraform-check.sh 2>&1); then
  echo "$tf_out" | tail -n1
else
  echo "$tf_out" >&2; echo "check failed: terraform (scripts/ops/terraform-check.sh)" >&2; checks_failed=1; status=1
fi

log=$(mktemp -t tcc-bun-test.XXXXXX.log)
# bun prints its report on stderr. Its default of 5 s per test measures the machine, not the
# code: tests that spawn a CLI or restart Redis ran past it on a loaded 2-core box. Speed is
# checked by `npm run bench:*`, never by a test's clock; tests that start whole processes set
# their own, longer limits.
node_modules/.bin/bun test --timeout 30000 "$@" 2>&1 | tee "$log"
bun_status=${PIPESTATUS[0]}
((bun_status == 0)) || status=1

bash "$S/stop.sh" >/dev/null 2>&1
trap - EXIT

# bun's closing summary: lines like " 12 pass" and " 0 fail" (colour stripped).
count() { sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E "^\s*[0-9]+ $1\s*$" | tail -n1 | grep -oE '[0-9]+' || echo 0; }
pass=$(count pass)
fail=$(count fail)
rm -f "$log"

[[ -n ${biome_failed:-} ]] && echo "biome check failed (see above); counting the run as failed" >&2
[[ -n ${checks_failed:-} ]] && echo "type, Prometheus or terraform checks failed (see above); counting the run as failed" >&2
((bun_status == 0)) || echo "bun test exited with status $bun_status" >&2
if ((pass + fail == 0)); then echo "no test ran" >&2; status=1; fi
echo "$pass passed, $fail failed"
exit "$status"
