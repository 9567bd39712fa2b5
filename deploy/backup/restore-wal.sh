#!/usr/bin/env bash
# PostgreSQL's restore_command: fetches one archived file back for recovery.
#
#   restore_command = '/opt/tcc/backup/restore-wal.sh %f %p /var/lib/tcc/wal-archive'
#
# Exits non-zero when the file is not in the archive: recovery asks for files that were never
# written (the next segment, a future timeline's history) and takes "not found" as the end of
# the archive, so that is not an error. restore.sh writes this line for you.
set -euo pipefail
if (($# != 3)); then
  echo "usage: restore-wal.sh <%f: file name> <%p: where to put it> <archive dir or s3://bucket/prefix>" >&2
  exit 2
fi
name=$1 dest=$2 archive=${3%/}
if [[ $archive == s3://* ]]; then
  exec aws s3 cp --only-show-errors "$archive/$name" "$dest" 2>/dev/null
fi
[[ -f $archive/$name ]] || exit 1
cp "$archive/$name" "$dest"
