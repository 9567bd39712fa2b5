#!/usr/bin/env bash
# `npm run bench:galleries`: same services as the tests, then the gallery benchmark driver, then stop.
# Its own services folder and ports (overridable), so a test run going on at the same time keeps its own.
set -euo pipefail
cd "$(dirname "$0")/.."
S=scripts/services
if [[ -d /dev/shm && -w /dev/shm ]]; then _bench_tmp=/dev/shm; else _bench_tmp=/tmp; fi
export TCC_SERVICES_DIR="${TCC_BENCH_SERVICES_DIR:-$_bench_tmp/tcc-bench-galleries-services}"
export TCC_PG_PRIMARY_PORT="${TCC_BENCH_PG_PRIMARY_PORT:-55442}"
export TCC_PG_REPLICA_PORT="${TCC_BENCH_PG_REPLICA_PORT:-55443}"
export TCC_REDIS_PORT="${TCC_BENCH_REDIS_PORT:-56389}"
. "$S/common.sh"
bash "$S/install.sh"
trap 'bash "$S/stop.sh" >/dev/null 2>&1' EXIT
bash "$S/start.sh" >/dev/null
set -a
. "$TCC_SERVICES_DIR/env"
set +a
node_modules/.bin/bun scripts/bench/galleries.ts
