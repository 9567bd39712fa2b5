#!/usr/bin/env bash
# Keeps the newest <keep> base backups under <backup-root>/base and removes the older ones,
# then removes from the WAL archive directory every segment older than the oldest backup
# kept (pg_archivecleanup), so the archive holds exactly what those backups can replay.
# Point-in-time recovery reaches back to the oldest backup kept: with a daily base backup,
# keep=30 is the guide's 30 days. For an s3:// archive, use a lifecycle rule on the bucket.
#
#   deploy/backup/prune.sh /var/backups/tcc /var/lib/tcc/wal-archive 30
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
if (($# != 3)) || ! [[ $3 =~ ^[1-9][0-9]*$ ]]; then echo "usage: prune.sh <backup-root> <wal-archive-dir> <keep (1 or more)>" >&2; exit 2; fi
root=${1%/} archive=${2%/} keep=$3
# Finished backups only (never a .partial one being written), oldest first; names sort by time.
mapfile -t backups < <(find "$root/base" -mindepth 1 -maxdepth 1 -type d ! -name '*.partial' -printf '%f\n' | sort)
((${#backups[@]})) || { echo "prune: no base backup under $root/base; nothing removed" >&2; exit 1; }
drop=$((${#backups[@]} > keep ? ${#backups[@]} - keep : 0))
for name in "${backups[@]:0:drop}"; do
  rm -rf "${root:?}/base/$name"
  echo "removed base backup $name"
done
oldest=${backups[drop]}
wal=$(start_wal_of "$root/base/$oldest")
[[ -n $wal ]] || { echo "prune: cannot read the start WAL of $oldest; WAL archive left as it is" >&2; exit 1; }
pg pg_archivecleanup "$archive" "$wal"
echo "WAL archive now starts at $wal (base backup $oldest)"
