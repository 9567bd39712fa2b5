#!/usr/bin/env bash
# PostgreSQL's archive_command: copies one finished WAL segment (or .history/.backup file) to
# the archive, which is a directory or an s3:// prefix.
#
#   archive_mode = on
#   archive_command = '/opt/tcc/backup/archive-wal.sh %p %f /var/lib/tcc/wal-archive'
#   archive_command = '/opt/tcc/backup/archive-wal.sh %p %f s3://tcc-wal-archive/prod'   # needs the aws CLI
#
# PostgreSQL recycles a segment only after this exits 0, and retries it otherwise, so it must
# never report success for a file it did not store, and never overwrite an archived file with
# different bytes (that would be a second timeline's history clobbering the first). A file
# already archived with the same bytes is success: the server may resend one after a crash.
set -euo pipefail
if (($# != 3)); then
  echo "usage: archive-wal.sh <%p: path of the segment> <%f: its file name> <archive dir or s3://bucket/prefix>" >&2
  exit 2
fi
src=$1 name=$2 archive=${3%/}

if [[ $archive == s3://* ]]; then
  dest="$archive/$name"
  if aws s3api head-object --bucket "$(cut -d/ -f3 <<<"$archive")" --key "${dest#s3://*/}" >/dev/null 2>&1; then
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    aws s3 cp --only-show-errors "$dest" "$tmp"
    cmp -s "$src" "$tmp" && exit 0
    echo "archive-wal: $dest exists with different content; refusing to overwrite" >&2
    exit 1
  fi
  exec aws s3 cp --only-show-errors "$src" "$dest"
fi

mkdir -p "$archive"
dest="$archive/$name"
if [[ -e $dest ]]; then
  cmp -s "$src" "$dest" && exit 0
  echo "archive-wal: $dest exists with different content; refusing to overwrite" >&2
  exit 1
fi
# Copy under a temporary name, flush it to disk, then rename: a crash never leaves a
# half-written segment under the real name, which restore would take for a whole one.
tmp="$archive/.$name.tmp.$$"
trap 'rm -f "$tmp"' EXIT
cp "$src" "$tmp"
sync "$tmp"
mv "$tmp" "$dest"
sync "$archive"
