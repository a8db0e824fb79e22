#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests (trust auth, 127.0.0.1, fsync off, data in /tmp).
#
#   scripts/pg-throwaway.sh start        start one; prints PTSP_TEST_PG_URL=... on stdout and
#                                        records pid/dir in $PTSP_PG_STATE (default below)
#   scripts/pg-throwaway.sh stop         stop the one recorded in $PTSP_PG_STATE, remove its dir
#   scripts/pg-throwaway.sh url          print the recorded URL
#   scripts/pg-throwaway.sh run -- CMD   run CMD with PTSP_TEST_PG_URL set, then stop the server;
#                                        exits with CMD's exit code
#   source scripts/pg-throwaway.sh [start]   start and export PTSP_TEST_PG_URL into this shell
#                                            (stop it later with `scripts/pg-throwaway.sh stop`)
#
# initdb refuses root, so as root the server runs as the `postgres` user (runuser). Binaries are
# taken from $PG_BIN, else the newest /usr/lib/postgresql/*/bin, else PATH.

_ptsp_pg_state_default="${TMPDIR:-/tmp}/ptsp-pg-throwaway.state"
_ptsp_pg_self="${BASH_SOURCE[0]}"

_ptsp_pg_log() { echo "pg-throwaway: $*" >&2; }

_ptsp_pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return 0; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  d=$(command -v initdb 2>/dev/null) && { dirname "$d"; return 0; }
  _ptsp_pg_log "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
  return 1
}

_ptsp_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# As root: run as postgres. Otherwise run as ourselves.
_ptsp_pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# _ptsp_pg_start -> sets _PTSP_PG_DIR, _PTSP_PG_PORT, _PTSP_PG_URL
_ptsp_pg_start() {
  local bin dir port
  bin=$(_ptsp_pg_bin) || return 1
  dir=$(mktemp -d /tmp/ptsp-pg.XXXXXX) || return 1
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if ! _ptsp_pg_as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
      >"$dir/initdb.log" 2>&1; then
    _ptsp_pg_log "initdb failed:"; cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1
  fi
  local tries
  for tries in 1 2 3; do
    port=$(_ptsp_pg_free_port) || { rm -rf "$dir"; return 1; }
    if _ptsp_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>&1; then
      _PTSP_PG_DIR=$dir; _PTSP_PG_PORT=$port; _PTSP_PG_BIN=$bin
      _PTSP_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
    _ptsp_pg_log "start on port $port failed (attempt $tries)"
  done
  cat "$dir/server.log" >&2; rm -rf "$dir"; return 1
}

_ptsp_pg_stop_dir() {  # bin dir
  [ -n "$2" ] && [ -d "$2" ] || return 0
  _ptsp_pg_as "$1/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$2"
}

_ptsp_pg_main() {
  local cmd=${1:-start} state=${PTSP_PG_STATE:-$_ptsp_pg_state_default}
  [ $# -gt 0 ] && shift
  case "$cmd" in
    start)
      if [ -f "$state" ]; then
        # shellcheck disable=SC1090
        . "$state"
        if [ -n "${PTSP_PG_DIR:-}" ] && [ -f "$PTSP_PG_DIR/data/postmaster.pid" ]; then
          _ptsp_pg_log "already running ($state)"
          echo "PTSP_TEST_PG_URL=$PTSP_TEST_PG_URL"
          return 0
        fi
      fi
      _ptsp_pg_start || return 1
      printf 'PTSP_PG_DIR=%s\nPTSP_PG_BIN=%s\nPTSP_TEST_PG_URL=%s\n' \
        "$_PTSP_PG_DIR" "$_PTSP_PG_BIN" "$_PTSP_PG_URL" >"$state"
      _ptsp_pg_log "running on port $_PTSP_PG_PORT, data in $_PTSP_PG_DIR; stop with: $_ptsp_pg_self stop"
      echo "PTSP_TEST_PG_URL=$_PTSP_PG_URL"
      ;;
    stop)
      if [ ! -f "$state" ]; then _ptsp_pg_log "nothing recorded in $state"; return 0; fi
      # shellcheck disable=SC1090
      . "$state"
      _ptsp_pg_stop_dir "$PTSP_PG_BIN" "$PTSP_PG_DIR"
      rm -f "$state"
      _ptsp_pg_log "stopped, removed $PTSP_PG_DIR"
      ;;
    url)
      [ -f "$state" ] || { _ptsp_pg_log "nothing recorded in $state"; return 1; }
      # shellcheck disable=SC1090
      . "$state"; echo "PTSP_TEST_PG_URL=$PTSP_TEST_PG_URL"
      ;;
    run)
      [ "${1:-}" = "--" ] && shift
      [ $# -gt 0 ] || { _ptsp_pg_log "usage: $_ptsp_pg_self run -- CMD [ARGS...]"; return 2; }
      _ptsp_pg_start || return 1
      # shellcheck disable=SC2064
      trap "_ptsp_pg_stop_dir '$_PTSP_PG_BIN' '$_PTSP_PG_DIR'" EXIT INT TERM
      local rc=0
      PTSP_TEST_PG_URL=$_PTSP_PG_URL "$@" || rc=$?
      _ptsp_pg_stop_dir "$_PTSP_PG_BIN" "$_PTSP_PG_DIR"
      trap - EXIT INT TERM
      return $rc
      ;;
    *)
      _ptsp_pg_log "usage: $_ptsp_pg_self start|stop|url|run -- CMD..."
      return 2
      ;;
  esac
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # sourced: start (or reuse) and export the URL into the caller's shell
  if _ptsp_pg_line=$(_ptsp_pg_main "${1:-start}") && [ -n "$_ptsp_pg_line" ]; then
    export "${_ptsp_pg_line?}"
    echo "$_ptsp_pg_line" >&2
  fi
  unset _ptsp_pg_line
else
  set -uo pipefail
  _ptsp_pg_main "$@"
  exit $?
fi
