#!/usr/bin/env bash
# Starts only the test redis (used by start.sh, and by tests that restart redis).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
dir="$TCC_SERVICES_DIR/redis"
mkdir -p "$dir"
if [[ -f $dir/redis.pid ]] && alive "$(cat "$dir/redis.pid")"; then exit 0; fi
# No persistence by default: tests want an empty redis each run and no disk writes. The Redis
# restart drill asks for the append-only file production runs with (TCC_REDIS_APPENDONLY=yes).
appendonly=${TCC_REDIS_APPENDONLY:-no}
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly "$appendonly" --appendfsync always \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
for _ in $(seq 100); do
  [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && exit 0
  sleep 0.05
done
log "redis did not answer on port $REDIS_PORT"; tail -n 20 "$dir/redis.log" >&2; exit 1
