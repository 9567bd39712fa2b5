#!/usr/bin/env bash
# Stops only the test redis, and returns once it is gone, so a test can rely on
# redis being unreachable right after. Never fails if it isn't running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
pidfile="$TCC_SERVICES_DIR/redis/redis.pid"
[[ -f $pidfile ]] || exit 0
pid=$(cat "$pidfile")
if kill "$pid" 2>/dev/null; then
  for _ in $(seq 100); do alive "$pid" || break; sleep 0.02; done
  ! alive "$pid" || kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
