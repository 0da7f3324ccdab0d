#!/usr/bin/env bash
# make run-cluster: Lotse as several instances of everything behind HAProxy, on loopback: 2 kiosk API
# processes, 2 action servers and 2 Rasa servers, on PostgreSQL (kiosk data and Rasa's tracker store) and Redis
# (Rasa's lock store, the web chat's socket.io rooms). Also started by tests/bot/test_cluster.py.
# Environment:
#   LOTSE_TEST_POSTGRES_URL, LOTSE_TEST_REDIS_URL   the servers to use (make run-cluster starts throwaway ones
#                        with scripts/with_postgres.sh and scripts/with_redis.sh); two new databases are made there
#   LOTSE_CLUSTER_PORT   the proxy's public port (default 8080); LOTSE_CLUSTER_DIR its folder (default var/cluster)
#   LOTSE_CLUSTER_CHAT_NICE  the nice increment of Rasa and the action servers (default 10: the kiosk first)
#   LOTSE_RASA_MAX_IN_FLIGHT  per Rasa instance (default 16 here); LOTSE_PROXY_*_MAXCONN: scripts/cluster_proxy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
: "${LOTSE_TEST_POSTGRES_URL:?run through scripts/with_postgres.sh (make run-cluster does)}"
: "${LOTSE_TEST_REDIS_URL:?run through scripts/with_redis.sh (make run-cluster does)}"
./scripts/system_deps.sh haproxy
DIR=${LOTSE_CLUSTER_DIR:-$ROOT/var/cluster}
mkdir -p -m 700 "$DIR"
PORT=${LOTSE_CLUSTER_PORT:-8080}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }

# Two fresh databases on the given server: the kiosk API's and Rasa's tracker store.
SERVER=${LOTSE_TEST_POSTGRES_URL%/*}
SUFFIX=$(python3 -c 'import secrets; print(secrets.token_hex(4))')
for name in "lotse_cluster_$SUFFIX" "lotse_cluster_tracker_$SUFFIX"; do
  .venv/bin/python -c 'import sys, psycopg; psycopg.connect(sys.argv[1], autocommit=True).execute(f"CREATE DATABASE {sys.argv[2]}")' \
    "postgresql://${SERVER#*://}/postgres" "$name"
done
export LOTSE_DATABASE_URL="$SERVER/lotse_cluster_$SUFFIX"
export LOTSE_TRACKER_DATABASE_URL="$SERVER/lotse_cluster_tracker_$SUFFIX"
export LOTSE_REDIS_URL=$LOTSE_TEST_REDIS_URL

# Throwaway secrets for this cluster; every instance of a part shares its part's.
export LOTSE_SECRET_KEY=$(secret) LOTSE_BOT_TOKEN=$(secret) RASA_JWT_SECRET=$(secret) LOTSE_ACTIONS_SECRET=$(secret)
export LOTSE_RASA_JWT_SECRET=$RASA_JWT_SECRET LOTSE_ADMIN_PASSWORD=${LOTSE_ADMIN_PASSWORD:-$(secret)}
# This user only: the admin password, the secrets and the databases (tests and operators read them from here).
(umask 077
 echo "$LOTSE_ADMIN_PASSWORD" >"$DIR/admin-password.txt"
 printf 'RASA_JWT_SECRET=%s\nLOTSE_BOT_TOKEN=%s\n' "$RASA_JWT_SECRET" "$LOTSE_BOT_TOKEN" >"$DIR/secrets.env"
 printf 'LOTSE_DATABASE_URL=%s\nLOTSE_TRACKER_DATABASE_URL=%s\n' "$LOTSE_DATABASE_URL" "$LOTSE_TRACKER_DATABASE_URL" \
   >"$DIR/databases.env")
ACTIONS_PROXY=$(free_port) STATS=$(free_port) BOT_API=$(free_port)
# Every part reaches the others through the proxy: pushes to any Rasa, actions to any action server, the
# kiosk API from any action server (at its own door, below); client addresses come from the proxy's X-Forwarded-For.
export LOTSE_RASA_URL=http://127.0.0.1:$PORT LOTSE_API_URL=http://127.0.0.1:$PORT
export LOTSE_ACTIONS_URL=http://127.0.0.1:$ACTIONS_PROXY/webhook LOTSE_TRUSTED_PROXIES=127.0.0.1/32
export RASA_CORS=http://127.0.0.1:$PORT RASA_TELEMETRY_ENABLED=false
# `python -m` from this folder, not the installed `lotse` script: the kiosk API is this tree's code (in a git
# worktree the editable install points to another checkout).
LOTSE=(.venv/bin/python -m kiosk_api.cli)
"${LOTSE[@]}" init >"$DIR/init.log"

declare -a pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start() {  # name, then the command; its pid goes to $DIR/<name>.pid, its output to $DIR/<name>.log
  local name=$1
  shift
  "$@" >>"$DIR/$name.log" 2>&1 &
  pids+=($!)
  echo $! >"$DIR/$name.pid"
}
declare -A port=()
# The kiosk is never starved by chat load: the chat's processes (Rasa, action servers) run at a lower CPU priority
# than the kiosk API and the proxy, so on shared cores a check-in goes first (docs/scaling.md). Each Rasa instance
# answers messages past its limit in progress with the busy message at once; the proxy lets LOTSE_PROXY_CHAT_MAXCONN
# REST messages (default 8) through to each at a time, the web chat and messengers bring the rest.
# Rasa and the action servers also call the kiosk API through a door of the proxy's own, which lets a few of their
# calls at a time into each kiosk API process (scripts/cluster_proxy.sh); links for clients' phones name the public
# address. (env, nice and the start scripts exec one another: the pid is the server's.)
CHAT=(env "LOTSE_API_URL=http://127.0.0.1:$BOT_API" "LOTSE_PUBLIC_URL=${LOTSE_PUBLIC_URL:-http://127.0.0.1:$PORT}"
  nice -n "${LOTSE_CLUSTER_CHAT_NICE:-10}")
export LOTSE_RASA_MAX_IN_FLIGHT=${LOTSE_RASA_MAX_IN_FLIGHT:-16}
start_instance() {  # kiosk-N, actions-N or rasa-N, on its own port
  local name=$1
  case $name in
    kiosk-*) LOTSE_PORT=${port[$name]} start "$name" "${LOTSE[@]}" serve ;;
    actions-*) ACTIONS_PORT=${port[$name]} start "$name" "${CHAT[@]}" bot/scripts/start_actions.sh ;;
    rasa-*)
      mkdir -p "$DIR/$name"
      LOTSE_VAR=$DIR/$name RASA_PORT=${port[$name]} start "$name" "${CHAT[@]}" bot/scripts/start_rasa.sh
      ;;
  esac
}
for n in 1 2; do
  port[kiosk-$n]=$(free_port) port[actions-$n]=$(free_port) port[rasa-$n]=$(free_port)
  for part in kiosk actions rasa; do start_instance "$part-$n"; done
done

LOTSE_PROXY_PORT=$PORT LOTSE_PROXY_ACTIONS_PORT=$ACTIONS_PROXY LOTSE_PROXY_STATS_PORT=$STATS \
  LOTSE_PROXY_BOT_API_PORT=$BOT_API \
  LOTSE_PROXY_KIOSK="kiosk-1=127.0.0.1:${port[kiosk-1]} kiosk-2=127.0.0.1:${port[kiosk-2]}" \
  LOTSE_PROXY_ACTIONS="actions-1=127.0.0.1:${port[actions-1]} actions-2=127.0.0.1:${port[actions-2]}" \
  LOTSE_PROXY_RASA="rasa-1=127.0.0.1:${port[rasa-1]} rasa-2=127.0.0.1:${port[rasa-2]}" \
  ./scripts/cluster_proxy.sh "$DIR"
start haproxy haproxy -db -f "$DIR/haproxy.cfg"
proxy_pid=${pids[-1]}
echo "$STATS" >"$DIR/stats.port"

# Ready when every Rasa instance has loaded its model (its REST channel answers) and the kiosk API answers.
for _ in $(seq 1 300); do
  ready=yes
  for n in 1 2; do
    curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"sender":"warm-up","message":"/greet"}' \
      "http://127.0.0.1:${port[rasa-$n]}/webhooks/rest/webhook" 2>/dev/null || ready=no
    curl -fsS -o /dev/null "http://127.0.0.1:${port[kiosk-$n]}/health" 2>/dev/null || ready=no
  done
  [[ $ready == yes ]] && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "a process of the cluster stopped; logs in $DIR" >&2; exit 1; }; done
  sleep 1
done
[[ $ready == yes ]] || { echo "the cluster did not get ready; logs in $DIR" >&2; exit 1; }
# One instance stopping is what the cluster is for: the proxy sends its traffic to the other. `kill -USR1 <this
# script's pid>` (in $DIR/cluster.pid) starts every stopped instance again on its port (the fault tests do, after
# killing some); the proxy's health checks take it back once it answers.
running() { grep -qs $'^State:\t[^Z]' "/proc/$1/status"; }  # alive, not a zombie
start_stopped() {
  local name
  for name in "${!port[@]}"; do
    running "$(<"$DIR/$name.pid")" || { echo "starting $name again" >&2; start_instance "$name"; }
  done
}
trap start_stopped USR1
echo $$ >"$DIR/cluster.pid"
cat <<INFO
Lotse cluster is running (Ctrl-C stops it):
  proxy          http://127.0.0.1:$PORT   (kiosk API, pages, /webhooks/, /socket.io/, /conversations/)
  proxy status   http://127.0.0.1:$STATS/stats
  desk           http://127.0.0.1:$PORT/desk   (user 'admin', password in $DIR/admin-password.txt)
  instances      kiosk API ${port[kiosk-1]} ${port[kiosk-2]}, actions ${port[actions-1]} ${port[actions-2]}, Rasa ${port[rasa-1]} ${port[rasa-2]}
  logs           $DIR/*.log
INFO
# It runs as long as the proxy does; a trapped signal ends `wait` early, so it waits again.
while running "$proxy_pid"; do wait "$proxy_pid" || true; done
echo "the proxy stopped; logs in $DIR" >&2
exit 1
