#!/usr/bin/env bash
# Starts the Rasa server on loopback with the JWT-protected HTTP API.
# Environment:
#   RASA_JWT_SECRET      required: secret for the HTTP API (--jwt-secret)
#   RASA_PORT            default 5005;  RASA_HOST default 127.0.0.1
#   RASA_MODEL           default bot/models/lotse.tar.gz
#   LOTSE_ACTIONS_URL    default http://127.0.0.1:5055/webhook
#   LOTSE_TRACKER_DATABASE_URL  SQLAlchemy URL of the tracker store, the same setting the kiosk API erases
#                        conversations with (sqlite:///… or postgresql://…); default SQLite var/tracker.db
#   SQL_POOL_SIZE, SQL_MAX_OVERFLOW   tracker store connection pool (defaults 20 / 50)
#   LOTSE_REDIS_URL      redis://host:port/db -> Redis lock store and shared socket.io rooms (several instances)
#   LOTSE_RASA_MAX_IN_FLIGHT  messages in progress before new ones get "many people are writing, try again in
#                        a minute" at once (default 32; bot/runtime/admission.py)
#   TELEGRAM_ACCESS_TOKEN + TELEGRAM_WEBHOOK_SECRET (+ TELEGRAM_WEBHOOK_URL, TELEGRAM_API_URL): the Telegram
#                        channel (docs/messengers.md)
#   TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN + TWILIO_NUMBER + TWILIO_WEBHOOK_URL (the public URL Twilio signs)
#                        (+ TWILIO_API_URL): the SMS channel (docs/messengers.md)
#   WHATSAPP_ACCESS_TOKEN + WHATSAPP_PHONE_NUMBER_ID + WHATSAPP_APP_SECRET + WHATSAPP_VERIFY_TOKEN
#                        (+ WHATSAPP_API_URL): the WhatsApp Cloud API channel (docs/messengers.md);
#                        it reports delivery statuses to the kiosk API at LOTSE_API_URL with LOTSE_BOT_TOKEN
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BOT_PY=${BOT_PY:-$ROOT/.venv-bot/bin/python}
: "${RASA_JWT_SECRET:?set RASA_JWT_SECRET (the HTTP API runs only with --jwt-secret)}"
export SQL_POOL_SIZE=${SQL_POOL_SIZE:-20} SQL_MAX_OVERFLOW=${SQL_MAX_OVERFLOW:-50}
# No telemetry (no network at run time); Rasa's cache stays in the git-ignored bot/.rasa.
export RASA_TELEMETRY_ENABLED=false RASA_CACHE_DIRECTORY=${RASA_CACHE_DIRECTORY:-$ROOT/bot/.rasa/cache}
VAR=${LOTSE_VAR:-$ROOT/var}
mkdir -p "$VAR"
MODEL=${RASA_MODEL:-bot/models/lotse.tar.gz}
[ -f "$MODEL" ] || { echo "no trained model at $MODEL (run: make bot-train)" >&2; exit 1; }

ENDPOINTS=$VAR/rasa-endpoints.yml
CREDENTIALS=$VAR/rasa-credentials.yml
"$BOT_PY" -m bot.scripts.write_config --endpoints "$ENDPOINTS" --credentials "$CREDENTIALS" --var "$VAR"

# --jwt-secret=…: a secret may begin with "-" (1 in 64 of secrets.token_urlsafe's), which argparse would take for an
# option and refuse to start (seen in the cluster test).
# bot.runtime.server is the rasa command line with Lotse's patches of Rasa internals (see bot/runtime/__init__.py);
# it refuses to start on a Rasa version other than the one they were written for.
exec "$BOT_PY" -m bot.runtime.server run \
  --model "$MODEL" \
  --endpoints "$ENDPOINTS" \
  --credentials "$CREDENTIALS" \
  --interface "${RASA_HOST:-127.0.0.1}" --port "${RASA_PORT:-5005}" \
  --enable-api --jwt-secret="$RASA_JWT_SECRET" \
  --cors "${RASA_CORS:-http://127.0.0.1:${LOTSE_PORT:-8000}}" \
  --log-file "$VAR/rasa.log"
