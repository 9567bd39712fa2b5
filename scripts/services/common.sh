# shellcheck shell=bash disable=SC2034
# Shared settings for the scripts in this folder; sourced, never run.
# Data lives in RAM when /dev/shm allows: the data is disposable, and on this
# VM's disk initdb + pg_basebackup alone take ~3s longer than on tmpfs.
if [[ -d /dev/shm && -w /dev/shm ]]; then _tcc_tmp=/dev/shm; else _tcc_tmp=/tmp; fi
TCC_SERVICES_DIR="${TCC_SERVICES_DIR:-${TCC_TEST_SERVICES_DIR:-$_tcc_tmp/tcc-test-services}}"
# Ports stay clear of the Debian defaults (5432/6379) so a system cluster or
# redis that apt may have set up can never be mistaken for ours.
PG_PRIMARY_PORT="${TCC_PG_PRIMARY_PORT:-55432}"
PG_REPLICA_PORT="${TCC_PG_REPLICA_PORT:-55433}"
REDIS_PORT="${TCC_REDIS_PORT:-56379}"
PG_DB=tcc_test

log() { echo "[services] $*" >&2; }

# Debian keeps the server tools (pg_ctl, initdb) off PATH, one folder per major;
# take the newest installed server unless TCC_PG_MAJOR pins one.
pg_major() {
  if [[ -n "${TCC_PG_MAJOR:-}" ]]; then echo "$TCC_PG_MAJOR"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n1)
  [[ -n "$d" ]] && basename "$(dirname "$(dirname "$d")")"
}

# kill -0 also succeeds on zombies, and daemons' zombies linger here until
# PID 1 reaps them; a zombie no longer serves anything, so count it as gone.
alive() { [[ -r /proc/$1/status ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
