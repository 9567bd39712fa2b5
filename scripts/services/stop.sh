#!/usr/bin/env bash
# Stops whatever start.sh started and removes its folder. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
[[ -d $TCC_SERVICES_DIR ]] || exit 0
bash "$here/redis-stop.sh" || true
major=$(pg_major || true)
for d in "$TCC_SERVICES_DIR"/pg-replica "$TCC_SERVICES_DIR"/pg-primary; do
  [[ -f $d/postmaster.pid ]] || continue
  # Immediate: the data is thrown away anyway, so skip the shutdown checkpoint.
  (cd / && runuser -u postgres -- "/usr/lib/postgresql/$major/bin/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1) ||
    kill -9 "$(head -n1 "$d/postmaster.pid")" 2>/dev/null || true
done
rm -rf "$TCC_SERVICES_DIR"
log "services stopped"
