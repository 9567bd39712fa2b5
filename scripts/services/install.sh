#!/usr/bin/env bash
# Installs what the test services need from Debian's packages. Idempotent and
# quick when everything is already there: apt is touched only if something is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
export DEBIAN_FRONTEND=noninteractive

cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

updated=
apt_update() {
  [[ -n $updated ]] && return 0
  log "apt-get update"; apt-get update -qq; updated=1
}
apt_install() {
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  apt_update
  log "installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Package scripts would start the distro's own postgres/redis on 5432/6379;
# we run our own instances, so forbid service starts for the duration of the
# install (docker-style images often already ship such a policy).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  cleanup+=(/usr/sbin/policy-rc.d)
fi

major=$(pg_major || true)
if [[ -z $major ]]; then
  apt_install postgresql   # the distro's default major
  major=$(pg_major)
fi
apt_install "postgresql-$major" redis-server wrk prometheus curl chromium   # prometheus: promtool checks the alert rules; chromium: the gallery page browser test

pg_config=/usr/lib/postgresql/$major/bin/pg_config
control="$("$pg_config" --sharedir)/extension/vector.control"
if [[ ! -f $control ]]; then
  # Bookworm has no pgvector package, but a newer Debian release may.
  apt_update
  if apt-cache show "postgresql-$major-pgvector" >/dev/null 2>&1; then
    apt_install "postgresql-$major-pgvector"
  else
    log "no postgresql-$major-pgvector package; building pgvector from Debian trixie source"
    apt_install "postgresql-server-dev-$major" dpkg-dev make gcc
    tmp=$(mktemp -d)
    srclist=/etc/apt/sources.list.d/tcc-trixie-src.list
    # Only a deb-src line: nothing binary from trixie can be installed. Updating
    # just this one list keeps the others as they are and is fast; the file is
    # removed afterwards so later 'apt-get update's don't fetch trixie's index.
    cleanup+=("$tmp" "$srclist")
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$srclist"
    apt-get update -qq -o Dir::Etc::sourcelist="$srclist" -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
    (cd "$tmp" && apt-get source -qq pgvector/trixie >/dev/null 2>&1)
    src=$(ls -d "$tmp"/pgvector-*/ | head -n1)
    # OPTFLAGS="" as Debian builds it: no -march=native; pgvector picks SIMD
    # code paths at run time anyway.
    make -s -C "$src" -j"$(nproc)" PG_CONFIG="$pg_config" OPTFLAGS="" >/dev/null
    make -s -C "$src" install PG_CONFIG="$pg_config" OPTFLAGS="" >/dev/null
  fi
  [[ -f $control ]] || { log "pgvector install failed: $control missing"; exit 1; }
  log "pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$control") installed for PostgreSQL $major"
fi
log "install ok (PostgreSQL $major, $(redis-server --version | grep -o 'v=[^ ]*'))"
