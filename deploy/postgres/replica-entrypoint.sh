#!/usr/bin/env bash
# Streaming replica for docker-compose, run as the postgres user. First start: clone the
# primary with pg_basebackup (-R writes primary_conninfo and standby.signal, -S streams from
# the slot primary-init.sh made). Later starts reuse the clone and resume from the slot.
# Extra arguments go to postgres (e.g. `-c port=5433`).
set -euo pipefail
: "${PGDATA:?}" "${PRIMARY_HOST:?}" "${REPLICATION_USER:?}" "${PGPASSWORD:?PGPASSWORD must hold the replication password}"
PRIMARY_PORT=${PRIMARY_PORT:-5432}

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  echo "replica: waiting for the primary at $PRIMARY_HOST:$PRIMARY_PORT"
  until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT"; do sleep 1; done
  # A clone interrupted half-way leaves files behind; pg_basebackup wants an empty directory.
  mkdir -p "$PGDATA"
  find "$PGDATA" -mindepth 1 -delete
  echo "replica: cloning the primary"
  pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -D "$PGDATA" \
    -R -X stream -S tcc_replica -c fast
  # The image creates the volume's directory world-writable; postgres refuses to start on that.
  chmod 0700 "$PGDATA"
fi

echo "replica: starting as a hot standby"
exec postgres -D "$PGDATA" -c hot_standby=on "$@"
