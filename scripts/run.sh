#!/usr/bin/env bash
# Starts Lotse on this machine: kiosk API, and the Rasa server + action server when the bot is built.
set -euo pipefail
cd "$(dirname "$0")/.."
# var/ holds secrets, logs and the databases: this user only.
mkdir -p -m 700 var && chmod 700 var
export LOTSE_PORT=${LOTSE_PORT:-8000}
export LOTSE_TRACKER_DATABASE_URL=${LOTSE_TRACKER_DATABASE_URL:-sqlite:///$PWD/var/tracker.db}
# Local secrets, made once per checkout and kept out of git.
if [[ ! -f var/secrets.env ]]; then
  umask 077
  set -o noclobber  # O_EXCL: never write into a file (or link) someone else put there
  {
    echo "LOTSE_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
    echo "LOTSE_BOT_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
    echo "RASA_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
  } > var/secrets.env
  set +o noclobber
fi
# Checkouts from before the action server had a secret get one added.
if ! grep -q '^LOTSE_ACTIONS_SECRET=' var/secrets.env; then
  (umask 077; echo "LOTSE_ACTIONS_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" >> var/secrets.env)
fi
set -a; source var/secrets.env; set +a

.venv/bin/lotse init

# After the URLs the console stays quiet: each process writes its output (library warnings included) to its
# own log under var/; a process that stops is reported on the console with the log to read.
declare -a pids=()
declare -A names=() logs=()
start() {
  local name=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  pids+=($!); names[$!]=$name; logs[$!]=$log
}
report_exit() {
  local pid=$1 code=$2
  echo >&2
  echo "${names[$pid]} exited (code $code), see ${logs[$pid]}; its last lines:" >&2
  tail -n 20 "${logs[$pid]}" | sed 's/^/  | /' >&2
}
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

BOT=no
if [[ -x bot/scripts/start_actions.sh && -x bot/scripts/start_rasa.sh ]] && ls bot/models/*.tar.gz >/dev/null 2>&1; then
  BOT=yes
  # The kiosk API pushes staff replies and turn reminders into chats through Rasa's JWT-protected API.
  export LOTSE_RASA_URL=${LOTSE_RASA_URL:-http://127.0.0.1:${RASA_PORT:-5005}} LOTSE_RASA_JWT_SECRET=$RASA_JWT_SECRET
  export LOTSE_ACTIONS_URL=${LOTSE_ACTIONS_URL:-http://127.0.0.1:${ACTIONS_PORT:-5055}/webhook}
  # The action server and the WhatsApp channel (delivery statuses) reach the kiosk API here.
  export LOTSE_API_URL=${LOTSE_API_URL:-http://127.0.0.1:$LOTSE_PORT}
fi
start "kiosk API" var/kiosk-api.log .venv/bin/lotse serve
api_pid=${pids[0]}
if [[ $BOT == yes ]]; then
  start "action server" var/actions.log bot/scripts/start_actions.sh
  start "Rasa server" var/rasa-console.log bot/scripts/start_rasa.sh
fi

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$LOTSE_PORT/health" >/dev/null 2>&1 && break
  if ! kill -0 "$api_pid" 2>/dev/null; then
    wait "$api_pid" && code=0 || code=$?
    report_exit "$api_pid" "$code"
    exit 1
  fi
  sleep 1
done
cat <<INFO

Lotse is running (Ctrl-C stops everything):
  kiosk API      http://127.0.0.1:$LOTSE_PORT/api/v1   (OpenAPI: http://127.0.0.1:$LOTSE_PORT/openapi.json, docs: /docs)
  kiosk          http://127.0.0.1:$LOTSE_PORT/kiosk
  desk           http://127.0.0.1:$LOTSE_PORT/desk      (user 'admin', password in var/admin-password.txt;
                 one desk per site: choose the site at the top)
  sites          $(ls sites/*/site.yml | cut -d/ -f2 | paste -sd ' ') (docs/sites.md); a kiosk or display of a site
                 enrols with a code from the desk's admin page or: .venv/bin/lotse devices code --site CODE
  call display   http://127.0.0.1:$LOTSE_PORT/display
  web chat       http://127.0.0.1:$LOTSE_PORT/chat
INFO
if [[ $BOT == yes ]]; then
  echo "  Rasa server    http://127.0.0.1:${RASA_PORT:-5005}  (REST and socket.io channels; the HTTP API needs a JWT, ~40 s to load)"
  echo "  action server  http://127.0.0.1:${ACTIONS_PORT:-5055}"
else
  echo "  (the assistant is not built yet: make bot-train, then make run)"
fi
echo "  logs           var/kiosk-api.log$([[ $BOT == yes ]] && echo ", var/actions.log, var/rasa-console.log, var/rasa.log")"

wait -n -p exited "${pids[@]}" && code=0 || code=$?
report_exit "$exited" "$code"
exit 1
