#!/usr/bin/env bash
# Restores a base backup into a new data directory, set up to replay the WAL archive up to a
# moment (point-in-time recovery) and then promote itself to a primary on a new timeline.
#
#   deploy/backup/restore.sh --backup /var/backups/tcc/base/20261202T010000Z \
#       --data /var/lib/postgresql/restored --wal-archive /var/lib/tcc/wal-archive \
#       --target-time '2026-12-02 09:41:00+00' [--port 5433]
#   pg_ctl -D /var/lib/postgresql/restored start     # replays, stops at the target, promotes
#
# Without --target-time it replays every archived segment (the latest state the archive holds).
# Run it as the OS user the server runs as (postgres). It never touches an existing cluster:
# the data directory must not exist or be empty. The restored server archives nothing
# (archive_mode = off) so it cannot write into the archive it was restored from; once it is
# checked and made the new primary, turn archiving on again and take a new base backup.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
usage() { echo "usage: restore.sh --backup DIR --data DIR --wal-archive DIR|s3://… [--target-time TIME] [--port N]" >&2; exit 2; }
backup= data= archive= target= port=
while (($#)); do
  case $1 in
    --backup) backup=${2%/}; shift 2 ;;
    --data) data=${2%/}; shift 2 ;;
    --wal-archive) archive=${2%/}; shift 2 ;;
    --target-time) target=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ -n $backup && -n $data && -n $archive ]] || usage
[[ -f $backup/base.tar.gz && -f $backup/backup_manifest ]] || { echo "restore: $backup is not a finished base backup" >&2; exit 1; }
if [[ -d $data && -n $(ls -A "$data") ]]; then echo "restore: $data is not empty; refusing to overwrite it" >&2; exit 1; fi
# Quotes inside values would end the setting early in postgresql.auto.conf.
[[ $archive != *"'"* && $target != *"'"* ]] || { echo "restore: quotes are not allowed in --wal-archive or --target-time" >&2; exit 1; }

mkdir -p "$data"
chmod 700 "$data"
tar -xzf "$backup/base.tar.gz" -C "$data"
mkdir -p "$data/pg_wal"
[[ -f $backup/pg_wal.tar.gz ]] && tar -xzf "$backup/pg_wal.tar.gz" -C "$data/pg_wal"
# Every file against the manifest's SHA-256, and the backup's own WAL range, before anything is
# added to the directory (an extra file would fail the check).
pg pg_verifybackup -q -m "$backup/backup_manifest" "$data"

{
  echo "# Written by deploy/backup/restore.sh from $backup"
  echo "restore_command = '$here/restore-wal.sh %f %p $archive'"
  if [[ -n $target ]]; then
    echo "recovery_target_time = '$target'"
    echo "recovery_target_action = 'promote'"
  fi
  echo "archive_mode = off"
  if [[ -n $port ]]; then echo "port = $port"; fi
} >>"$data/postgresql.auto.conf"
rm -f "$data/standby.signal"
touch "$data/recovery.signal"
echo "restored $backup into $data; start it with: pg_ctl -D $data start"
