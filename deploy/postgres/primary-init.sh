#!/usr/bin/env bash
# Primary, first start only (the postgres image runs /docker-entrypoint-initdb.d/* once, when
# it initialises an empty data directory): a role the replica streams as, a physical slot so
# the primary keeps the WAL the replica has not received yet, and a pg_hba line admitting it.
# No `set -u` or `exit`: the image may source this file into its own entrypoint shell.
set -eo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=repl_user="$REPLICATION_USER" --set=repl_password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"repl_user" WITH REPLICATION LOGIN PASSWORD :'repl_password';
SELECT pg_create_physical_replication_slot('tcc_replica');
SQL

# "all" in pg_hba does not cover replication connections; they need their own line. It is
# read when the entrypoint restarts the server after the init scripts.
echo "host replication ${REPLICATION_USER} all scram-sha-256" >>"$PGDATA/pg_hba.conf"
