#!/usr/bin/env bash
# Runs a command with LOTSE_TEST_REDIS_URL pointing at a Redis server: the one given, else a
# throwaway redis-server on a free loopback port (Debian's package, installed if missing).
set -euo pipefail

if [[ -n "${LOTSE_TEST_REDIS_URL:-}" ]]; then
  exec "$@"
fi

"$(dirname "$0")/system_deps.sh" redis-server
REDIS_DIR=$(mktemp -d /tmp/lotse-redis.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$PORT" --dir "$REDIS_DIR" --save "" --appendonly no \
  --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"

# The command's exit status is the script's: the server is waited for before its folder goes, and a
# clean-up hiccup never turns a passed run into a failed one.
cleanup() {
  local status=$?
  if [[ -f "$REDIS_DIR/redis.pid" ]]; then
    local pid
    pid=$(cat "$REDIS_DIR/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$REDIS_DIR" 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT

for _ in $(seq 50); do
  redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$PORT" ping >/dev/null || { echo "redis-server did not start:" >&2; cat "$REDIS_DIR/redis.log" >&2; exit 1; }
export LOTSE_TEST_REDIS_URL="redis://127.0.0.1:$PORT/0"
echo "Redis $(redis-server --version | awk '{print $3}') on 127.0.0.1:$PORT (throwaway)" >&2
"$@"
