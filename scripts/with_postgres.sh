#!/usr/bin/env bash
# Runs a command with LOTSE_TEST_POSTGRES_URL pointing at a PostgreSQL server: the one given,
# else a throwaway cluster started here from Debian's packages (installed if missing).
set -euo pipefail

if [[ -n "${LOTSE_TEST_POSTGRES_URL:-}" ]]; then
  exec "$@"
fi

find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  return 1
}

PG_BIN=$(find_pg_bin || true)
if [[ -z "$PG_BIN" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "PostgreSQL is not installed and this user cannot install it: install Debian's 'postgresql' or set LOTSE_TEST_POSTGRES_URL" >&2
    exit 1
  fi
  echo "installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  PG_BIN=$(find_pg_bin)
fi

RUN_AS=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
  RUN_AS=(runuser -u postgres --)
fi

PG_DIR=$(mktemp -d /tmp/lotse-pg.XXXXXX)
chmod 755 "$PG_DIR"
[[ ${#RUN_AS[@]} -gt 0 ]] && chown postgres "$PG_DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# The command's exit status is the script's: a clean-up hiccup never turns a passed run into a failed one.
cleanup() {
  local status=$?
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR" 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT

"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PG_DIR -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"${RUN_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres lotse_test

export LOTSE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/lotse_test"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (throwaway)" >&2
"$@"
