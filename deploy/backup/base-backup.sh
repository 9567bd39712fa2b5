#!/usr/bin/env bash
# Takes a base backup of the running primary with pg_basebackup into <backup-root>/base/<UTC time>/:
# base.tar.gz (the data directory), pg_wal.tar.gz (the WAL written during the backup, so the
# backup is consistent on its own) and backup_manifest (SHA-256 of every file, checked by
# restore.sh with pg_verifybackup). Restoring to a later moment also needs the WAL archive
# (archive-wal.sh). Prints the new backup's folder.
#
#   PGHOST=db-primary PGUSER=replicator PGPASSWORD=… deploy/backup/base-backup.sh /var/backups/tcc
#
# The connection comes from libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD or
# ~/.pgpass); the role needs REPLICATION. With BACKUP_S3_URI=s3://bucket/prefix set, the
# finished backup is also copied there (`aws s3 sync`; the guide's daily full backup to S3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
if (($# != 1)); then echo "usage: base-backup.sh <backup-root>" >&2; exit 2; fi
root=${1%/}
name=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$root/base"
# Written under .partial and renamed when complete: a backup interrupted half-way is never
# mistaken for a usable one (restore.sh and prune.sh ignore .partial folders).
partial="$root/base/$name.partial"
trap 'rm -rf "$partial"' EXIT
# -c fast: checkpoint now instead of waiting for the next scheduled one.
pg pg_basebackup -D "$partial" -Ft -z -X stream -c fast --manifest-checksums=SHA256 --label="tcc $name"
mv "$partial" "$root/base/$name"
trap - EXIT
echo "start WAL $(start_wal_of "$root/base/$name")" >"$root/base/$name/wal-start"
if [[ -n ${BACKUP_S3_URI:-} ]]; then
  aws s3 sync --only-show-errors "$root/base/$name" "${BACKUP_S3_URI%/}/base/$name"
fi
echo "$root/base/$name"
