#!/usr/bin/env bash
# Starts fresh test services: PostgreSQL primary + streaming replica, and redis.
# Prints (and writes to $TCC_SERVICES_DIR/env) the URLs the tests use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

# Always start from scratch so one run's data never leaks into the next.
bash "$here/stop.sh"
# A leftover server from a deleted folder would otherwise answer in our place.
for port in "$PG_PRIMARY_PORT" "$PG_REPLICA_PORT" "$REDIS_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    log "port $port is already in use by something start.sh did not start"; exit 1
  fi
done

major=$(pg_major) || { log "no PostgreSQL server; run install.sh"; exit 1; }
bin=/usr/lib/postgresql/$major/bin
D=$TCC_SERVICES_DIR
mkdir -p "$D"
# PostgreSQL refuses to run as root, so its files belong to postgres; the
# sockets go here too, away from /var/run/postgresql of a system cluster.
chown postgres: "$D"
chmod 755 "$D"
# cd: postgres may not be allowed into the caller's cwd (e.g. /root).
as_pg() { (cd "$D" && runuser -u postgres -- "$@"); }
sql() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -At -h 127.0.0.1 -U postgres "$@"; }
fail() { log "$1"; tail -n 30 "$D"/*.log >&2 || true; exit 1; }

as_pg "$bin/initdb" -D "$D/pg-primary" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null ||
  fail "initdb failed"
# Durability is off (fsync etc.): the data is disposable and speed matters.
cat >>"$D/pg-primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY_PORT
unix_socket_directories = '$D'
max_connections = 300
shared_buffers = 256MB
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
fsync = off
synchronous_commit = off
# With synchronous_commit off, WAL reaches the replica only when the WAL writer
# flushes it; flush often so replica reads lag by milliseconds, not ~200ms.
wal_writer_delay = 10ms
full_page_writes = off
CONF
# Extra settings for the primary, from drills that need them (WAL archiving for the restore drill).
if [[ -n ${TCC_PG_CONF_EXTRA:-} ]]; then printf '%s\n' "$TCC_PG_CONF_EXTRA" >>"$D/pg-primary/postgresql.conf"; fi
cat >"$D/pg-primary/pg_hba.conf" <<CONF
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
CONF
as_pg "$bin/pg_ctl" -D "$D/pg-primary" -l "$D/primary.log" -w -t 30 start >/dev/null || fail "primary did not start"

# Created before the base backup so the replica has both from the start.
sql -p "$PG_PRIMARY_PORT" -d postgres -c "CREATE DATABASE $PG_DB"
sql -p "$PG_PRIMARY_PORT" -d "$PG_DB" -c "CREATE EXTENSION IF NOT EXISTS vector"

# -c fast: no wait for a scheduled checkpoint; -N: no fsync. The slot keeps the WAL the
# replica still needs, however far a heavy test lets it fall behind.
as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$D/pg-replica" \
  -R -X stream -c fast -N -C -S tcc_replica >/dev/null || fail "pg_basebackup failed"
echo "port = $PG_REPLICA_PORT" >>"$D/pg-replica/postgresql.conf"
as_pg "$bin/pg_ctl" -D "$D/pg-replica" -l "$D/replica.log" -w -t 30 start >/dev/null || fail "replica did not start"

bash "$here/redis-start.sh"

# TODO(edge): once the edge package has code, start wrangler/workerd here
# (and stop it in stop.sh) and add its URL to the env file below.

for port in "$PG_PRIMARY_PORT" "$PG_REPLICA_PORT"; do
  for i in $(seq 100); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -d "$PG_DB" && break
    ((i < 100)) || fail "PostgreSQL on port $port not ready"
    sleep 0.1
  done
done
for i in $(seq 100); do
  [[ $(sql -p "$PG_PRIMARY_PORT" -d postgres -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") -ge 1 ]] && break
  ((i < 100)) || fail "replica is not streaming"
  sleep 0.1
done

cat >"$D/env" <<ENV
DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PRIMARY_PORT/$PG_DB
DATABASE_REPLICA_URLS=postgres://postgres@127.0.0.1:$PG_REPLICA_PORT/$PG_DB
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
TCC_TEST_SERVICES_DIR=$D
TCC_PG_PRIMARY_PORT=$PG_PRIMARY_PORT
TCC_PG_REPLICA_PORT=$PG_REPLICA_PORT
TCC_REDIS_PORT=$REDIS_PORT
ENV
cat "$D/env"
log "services up in $D"
