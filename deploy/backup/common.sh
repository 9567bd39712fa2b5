# shellcheck shell=bash
# Sourced by the backup scripts. PostgreSQL's tools: PG_BIN if set, else the newest Debian
# server's bin folder (/usr/lib/postgresql/<major>/bin, off PATH), else whatever is on PATH
# (the official postgres images put them there).
if [[ -z ${PG_BIN:-} ]]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
fi
pg() { local tool=$1; shift; if [[ -n ${PG_BIN:-} && -x $PG_BIN/$tool ]]; then "$PG_BIN/$tool" "$@"; else "$tool" "$@"; fi; }
# The WAL file a base backup starts from, read from the backup_label inside its tar:
#   START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
start_wal_of() { tar -xzOf "$1/base.tar.gz" backup_label | sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]\{24\}\))$/\1/p'; }
