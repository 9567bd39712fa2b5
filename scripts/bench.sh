#!/usr/bin/env bash
# `npm run bench:<name>`: the test services, then scripts/bench/<name>.ts, then stop.
# Its own services folder and ports (overridable), so a test run going on at the same time keeps its own.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bench.sh core|galleries}
S=scripts/services
if [[ -d /dev/shm && -w /dev/shm ]]; then tmp=/dev/shm; else tmp=/tmp; fi
export TCC_SERVICES_DIR="${TCC_BENCH_SERVICES_DIR:-$tmp/tcc-bench-services}"
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
node_modules/.bin/bun "scripts/bench/$name.ts"
