#!/usr/bin/env bash
# The cluster's HAProxy configuration (scripts/run_cluster.sh; tests/web/test_chat_busy.py runs it in front of one
# kiosk API): writes FOLDER/haproxy.cfg and FOLDER/busy.http, the proxy's answer when the chat is past capacity.
# Usage: cluster_proxy.sh FOLDER. Environment:
#   LOTSE_PROXY_PORT, LOTSE_PROXY_ACTIONS_PORT, LOTSE_PROXY_STATS_PORT   the public, action server and status ports
#   LOTSE_PROXY_BOT_API_PORT      where Rasa and the action servers reach the kiosk API
#   LOTSE_PROXY_KIOSK, LOTSE_PROXY_ACTIONS, LOTSE_PROXY_RASA   the instances, "name=host:port name=host:port …"
#   LOTSE_PROXY_CHAT_MAXCONN      REST chat messages one Rasa instance serves at a time (default 8); past them a
#                                 message waits in the proxy's queue up to LOTSE_PROXY_CHAT_QUEUE, then gets busy.http
#   LOTSE_PROXY_CHAT_QUEUE        that wait (default 500ms): with Rasa's own time it keeps every answer within 2 s
#   LOTSE_PROXY_SOCKETIO_MAXCONN  web chat connections per Rasa instance (default 1000), the same past them
#   LOTSE_PROXY_BOT_API_MAXCONN   the bot's calls one kiosk API instance serves at a time (default 4), so that
#                                 chat load never takes all of its threads and database connections
#   RASA_CORS                     the chat page's origin, allowed to read busy.http from another origin
set -euo pipefail
DIR=${1:?usage: cluster_proxy.sh FOLDER}
: "${LOTSE_PROXY_PORT:?}" "${LOTSE_PROXY_ACTIONS_PORT:?}" "${LOTSE_PROXY_STATS_PORT:?}"
: "${LOTSE_PROXY_KIOSK:?}" "${LOTSE_PROXY_ACTIONS:?}" "${LOTSE_PROXY_RASA:?}"
CHAT_MAXCONN=${LOTSE_PROXY_CHAT_MAXCONN:-8}
CHAT_QUEUE=${LOTSE_PROXY_CHAT_QUEUE:-500ms}
SOCKETIO_MAXCONN=${LOTSE_PROXY_SOCKETIO_MAXCONN:-1000}
BOT_API_MAXCONN=${LOTSE_PROXY_BOT_API_MAXCONN:-4}
: "${LOTSE_PROXY_BOT_API_PORT:?}"

# What a client gets instead of waiting: 503 at once with a small body it can recognise ("error": "busy", the
# catalog key of the text to show) and when to try again. The web chat shows chat.busy in the client's language
# (kiosk_api/web/static/js/chat.js); a REST client reads the code. The same answer when no Rasa instance is up.
BODY='{"error":"busy","message_key":"busy.try_again","retry_after":60}'
{
  printf 'HTTP/1.1 503 Service Unavailable\r\n'
  printf 'Content-Type: application/json\r\n'
  printf 'Content-Length: %d\r\n' "${#BODY}"
  printf 'Cache-Control: no-store\r\n'
  printf 'Retry-After: 60\r\n'
  [[ -n ${RASA_CORS:-} && $RASA_CORS != *[\ ,]* ]] && printf 'Access-Control-Allow-Origin: %s\r\n' "$RASA_CORS"
  printf 'Connection: close\r\n\r\n%s' "$BODY"
} >"$DIR/busy.http"

servers() {  # the server lines of a backend: "name=host:port …", then options for every server
  local list=$1
  shift
  for entry in $list; do printf '  server %s %s %s\n' "${entry%%=*}" "${entry#*=}" "$*"; done
}
tracked() {  # the servers of a backend that follow the health checks of another: backend, list, options
  local backend=$1 list=$2
  shift 2
  for entry in $list; do
    printf '  server %s %s track %s/%s %s\n' "${entry%%=*}" "${entry#*=}" "$backend" "${entry%%=*}" "$*"
  done
}
sticky() {  # the same, each with a cookie: a browser's socket.io connection comes back to its instance
  for entry in $LOTSE_PROXY_RASA; do
    printf '  server %s %s track rasa/%s cookie %s %s\n' "${entry%%=*}" "${entry#*=}" "${entry%%=*}" \
      "${entry%%=*}" "$*"
  done
}

cat >"$DIR/haproxy.cfg" <<CFG
global
  maxconn 4096
  log stdout format raw local0 err
defaults
  mode http
  log global
  option httplog
  # Only failed requests are logged (at "err"), and server state changes: no trail of clients' requests.
  option log-separate-errors
  option dontlog-normal
  option forwardfor
  # A request that finds its server gone is sent to the other one. Only failed connections are retried (a
  # request a server may have begun is never sent twice), so no idle connection to a server is kept for reuse.
  option redispatch
  retries 3
  http-reuse never
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  timeout tunnel 1h
  timeout queue 5s
  # A health check may wait this long for its answer: a Rasa instance busy at its limit answers late but answers
  # (with a 1 s limit, under load both instances were taken out at once and every client got 503). A stopped
  # instance refuses the connection at once, so it is still out after two failed checks, about 2 s.
  timeout check 5s
frontend public
  bind 127.0.0.1:$LOTSE_PROXY_PORT
  # Four ways in, each with its own limits, so that no kind of traffic takes another's places: the kiosk API
  # (never limited by chat load), chat messages over REST (a few at a time per Rasa instance, a short queue,
  # then 503), the web chat's socket.io connections (long-lived: counted apart from the messages), and messenger
  # webhooks and the kiosk API's pushes (never refused here: Rasa's own admission answers them).
  acl socketio path_beg /socket.io/
  acl rest_chat path_beg /webhooks/rest/
  acl rasa_other path_beg /webhooks/ /conversations/
  use_backend rasa_socketio if socketio
  use_backend rasa if rest_chat
  use_backend rasa_messengers if rasa_other
  default_backend kiosk
frontend actions
  bind 127.0.0.1:$LOTSE_PROXY_ACTIONS_PORT
  default_backend actions
frontend bot_api
  bind 127.0.0.1:$LOTSE_PROXY_BOT_API_PORT
  default_backend kiosk_for_bot
backend kiosk
  balance roundrobin
  option httpchk GET /health
$(servers "$LOTSE_PROXY_KIOSK" check inter 1s fall 2 rise 1)
backend kiosk_for_bot
  # The kiosk API as Rasa and the action servers call it (content, bookings, registrations: chat load). At most
  # $BOT_API_MAXCONN of their calls per instance at once, the others wait here: a kiosk API process keeps its other
  # threads and database connections (pool 10 + 10) for the kiosk and the desk however busy the chat is.
  balance leastconn
$(tracked kiosk "$LOTSE_PROXY_KIOSK" maxconn "$BOT_API_MAXCONN")
backend actions
  balance roundrobin
  option httpchk GET /health
$(servers "$LOTSE_PROXY_ACTIONS" check inter 1s fall 2 rise 1)
backend rasa
  # Chat messages over REST. One holds a place for as long as Rasa works on it: $CHAT_MAXCONN per instance keep its
  # answers quick (docs/scaling.md); past them a message waits here at most $CHAT_QUEUE for a place, then gets busy.http.
  balance leastconn
  option httpchk GET /
  timeout queue $CHAT_QUEUE
  errorfile 503 $DIR/busy.http
$(servers "$LOTSE_PROXY_RASA" check inter 1s fall 2 rise 1 maxconn "$CHAT_MAXCONN")
backend rasa_socketio
  # A browser's socket.io connection stays on one instance (long polling needs it). A websocket holds its place
  # for as long as it is open: these places are the connections, not the messages (Rasa's admission answers
  # messages past LOTSE_RASA_MAX_IN_FLIGHT with the busy message in the client's language).
  balance leastconn
  cookie LOTSE_RASA insert indirect nocache
  timeout queue 1s
  errorfile 503 $DIR/busy.http
$(sticky maxconn "$SOCKETIO_MAXCONN")
backend rasa_messengers
  # Messenger webhooks (WhatsApp, Telegram, SMS) and the kiosk API's pushes are not limited here: a refused
  # webhook is not a message the client sees (Twilio does not retry an SMS webhook, Meta and Telegram retry
  # minutes later), whereas Rasa past its limit answers it within milliseconds with the busy message, in the
  # client's language, through the messenger (docs/scaling.md).
  balance roundrobin
$(tracked rasa "$LOTSE_PROXY_RASA")
listen stats
  bind 127.0.0.1:$LOTSE_PROXY_STATS_PORT
  stats enable
  stats uri /stats
CFG
