#!/usr/bin/env bash
# Starts the rasa_sdk action server on loopback. It talks to the kiosk API at LOTSE_API_URL
# (default http://127.0.0.1:8000) with the service token LOTSE_BOT_TOKEN.
set -euo pipefail
cd "$(dirname "$0")/../.."
BOT_PY=${BOT_PY:-$(pwd)/.venv-bot/bin/python}
export LOTSE_API_URL=${LOTSE_API_URL:-http://127.0.0.1:${LOTSE_PORT:-8000}}
# rasa_sdk binds to SANIC_HOST (it would listen on all interfaces otherwise).
export SANIC_HOST=${ACTIONS_HOST:-127.0.0.1}
# bot.runtime.action_server is rasa_sdk admitting only callers with LOTSE_ACTIONS_SECRET (Rasa); required.
exec "$BOT_PY" -m bot.runtime.action_server --actions bot.actions --port "${ACTIONS_PORT:-5055}" --cors "http://127.0.0.1"
