#!/usr/bin/env bash
# `npm run bench:core`: same services as the tests, then the benchmark driver, then stop.
set -euo pipefail
cd "$(dirname "$0")/.."
S=scripts/services
. "$S/common.sh"
bash "$S/install.sh"
trap 'bash "$S/stop.sh" >/dev/null 2>&1' EXIT
bash "$S/start.sh" >/dev/null
set -a
. "$TCC_SERVICES_DIR/env"
set +a
node_modules/.bin/bun scripts/bench/core.ts
