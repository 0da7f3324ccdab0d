"""A local stand-in of the Telegram Bot API, and a phone that writes to the bot as Telegram would.

The session's Rasa server runs Lotse's Telegram channel (bot/channels/telegram.py) with
TELEGRAM_API_URL pointing here: every Bot API call it makes is recorded and answered as the Bot
API answers (the same JSON shapes, and the same refusals: a wrong token, a text over 4,096
characters, callback data over 64 bytes, a keyboard edit of a message that does not exist, a
callback query answered twice). `TelegramChat` delivers updates into Rasa's
/webhooks/telegram/webhook with the webhook secret, as Telegram's servers do.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import requests

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_ID = 7000000001
BOT_USERNAME = "lotse_test_bot"
MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
# Where the operator's Telegram would deliver updates; recorded only, never called.
WEBHOOK_URL = "https://lotse.example/webhooks/telegram/webhook"


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BotApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class TelegramStandIn:
    """The Bot API on loopback: what Lotse called, the messages it sent per chat."""

    token: str
    webhook_secret: str
    server: ThreadingHTTPServer | None = None
    calls: list[Call] = field(default_factory=list)
    # message_id -> the Message object the Bot API returned for it (reply_markup kept current)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    callback_queries: dict[str, bool] = field(default_factory=dict)  # id -> answered
    webhook: dict[str, Any] = field(default_factory=dict)
    # chat id -> seconds: the next sendMessage there is refused by flood control (429)
    flood: dict[int, int] = field(default_factory=dict)
    lock: threading.Condition = field(default_factory=threading.Condition)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "TELEGRAM_ACCESS_TOKEN": self.token,
            "TELEGRAM_WEBHOOK_SECRET": self.webhook_secret,
            "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
            "TELEGRAM_API_URL": self.url,
        }

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def next_id(self) -> int:
        with self.lock:
            return next(self.ids)

    # --- what Lotse sent ------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message the bot sent into this chat, oldest first."""
        with self.lock:
            return [m for m in self.messages.values() if m["chat"]["id"] == chat_id]

    def wait_for(
        self, check: Callable[[], bool], timeout: float = 60, what: str = "bot messages"
    ) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not check():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such {what} within {timeout} s")
                self.lock.wait(min(left, 0.5))

    # --- the Bot API ----------------------------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        """The `result` of a Bot API method, or BotApiError as the Bot API refuses it."""
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            raise BotApiError(404, "Not Found")
        with self.lock:
            self.calls.append(Call(method, params))
            result = handler(params)
            self.lock.notify_all()
            return result

    def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Lotse", "username": BOT_USERNAME}

    def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        if not str(params.get("url", "")).startswith("https://"):
            raise BotApiError(400, "Bad Request: bad webhook: HTTPS url must be provided")
        self.webhook = dict(params)
        return True

    def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "pending_update_count": 0}

    def _api_sendchataction(self, params: dict[str, Any]) -> bool:
        return True

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _chat_id(params)
        if chat_id in self.flood:
            wait = self.flood.pop(chat_id)
            raise BotApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        text = str(params.get("text") or "")
        if not text.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > MESSAGE_LIMIT:
            raise BotApiError(400, "Bad Request: message is too long")
        message: dict[str, Any] = {
            "message_id": next(self.ids),
            "from": self._api_getme({}),
            "chat": {"id": chat_id, "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        markup = _markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup
        self.messages[message["message_id"]] = message
        return message

    def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _chat_id(params)
        message = self.messages.get(int(params.get("message_id") or 0))
        if message is None or message["chat"]["id"] != chat_id:
            raise BotApiError(400, "Bad Request: message to edit not found")
        markup = _markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise BotApiError(400, "Bad Request: message is not modified")
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return message

    def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self.callback_queries.get(query_id, True):  # unknown, or answered already
            raise BotApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.callback_queries[query_id] = True
        return True


def _chat_id(params: dict[str, Any]) -> int:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        raise BotApiError(400, "Bad Request: chat not found") from None


def _markup(raw: Any) -> dict[str, Any] | None:
    """An inline keyboard as the Bot API checks it; None when there is none."""
    if raw in (None, ""):
        return None
    markup = json.loads(raw) if isinstance(raw, str) else raw
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if not button.get("text"):
                raise BotApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _handler(stand_in: TelegramStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.do_POST()

        def do_POST(self) -> None:
            _, prefix, method = self.path.split("?")[0].partition(f"/bot{stand_in.token}/")
            if not prefix:
                self.reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            try:
                result = stand_in.answer(method, self.params())
            except BotApiError as error:
                refusal: dict[str, Any] = {
                    "ok": False,
                    "error_code": error.status,
                    "description": error.description,
                }
                if error.retry_after is not None:
                    refusal["parameters"] = {"retry_after": error.retry_after}
                self.reply(error.status, refusal)
                return
            self.reply(200, {"ok": True, "result": result})

        def params(self) -> dict[str, Any]:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("application/json"):
                return json.loads(body or b"{}")
            if kind.startswith("multipart/form-data"):
                raise BotApiError(400, "Bad Request: the stand-in takes no file uploads")
            return {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}

        def reply(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # no request log: it would hold the bot token

    return Handler


def start(workdir: Path) -> TelegramStandIn:
    stand_in = TelegramStandIn(
        token=f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(26)}",
        webhook_secret=secrets.token_urlsafe(32),
    )
    stand_in.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand_in))
    stand_in.server.daemon_threads = True
    threading.Thread(target=stand_in.server.serve_forever, daemon=True).start()
    return stand_in


# --- the client's phone -------------------------------------------------------------------------


def post_update(
    rasa_url: str, update: dict[str, Any], secret: str | None, timeout: float = 120
) -> requests.Response:
    """POSTs an update into Rasa's Telegram webhook as Telegram's servers do (secret header when
    given)."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return requests.post(
        f"{rasa_url}/webhooks/telegram/webhook", json=update, headers=headers, timeout=timeout
    )


class TelegramChat:
    """One client's private chat with the bot: what they send arrives as Telegram updates, what
    the bot sent is read from the stand-in."""

    def __init__(self, stand_in: TelegramStandIn, rasa_url: str, language_code: str | None) -> None:
        self.stand_in = stand_in
        self.rasa_url = rasa_url
        self.chat_id = 100_000_000 + secrets.randbelow(10**9)
        self.language_code = language_code
        self.seen = 0  # how many of the bot's messages were read already

    @property
    def sender(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.chat_id, "is_bot": False, "first_name": "Test"}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def message(self, **content: Any) -> dict[str, Any]:
        """An update with a new message from the client (text, voice, photo …)."""
        return {
            "update_id": self.stand_in.next_id(),
            "message": {
                "message_id": self.stand_in.next_id(),
                "from": self.sender,
                "chat": {"id": self.chat_id, "type": "private", "first_name": "Test"},
                "date": int(time.time()),
                **content,
            },
        }

    def deliver(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Delivers the update and returns the bot messages it caused (Rasa answers before the
        webhook call returns)."""
        delivered = post_update(self.rasa_url, update, self.stand_in.webhook_secret)
        assert delivered.status_code == 200, delivered.text
        return self.new_messages()

    def new_messages(self) -> list[dict[str, Any]]:
        sent = self.stand_in.sent_to(self.chat_id)
        new, self.seen = sent[self.seen :], len(sent)
        return new

    def say(self, text: str) -> list[dict[str, Any]]:
        return self.deliver(self.message(text=text))

    def start(self) -> list[dict[str, Any]]:
        return self.deliver(
            self.message(
                text="/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}]
            )
        )

    def buttons(self) -> list[dict[str, Any]]:
        """The inline buttons the chat shows now (keyboards Lotse removed after a tap are gone)."""
        return [
            dict(button, message_id=message["message_id"])
            for message in self.stand_in.sent_to(self.chat_id)
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        ]

    def tap(self, choose: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Taps the newest shown button `choose` accepts, as the Telegram app sends it: a
        callback query naming the message the keyboard belongs to."""
        shown = [button for button in self.buttons() if choose(button)]
        assert shown, f"no such button among {[b['text'] for b in self.buttons()]}"
        button = shown[-1]
        query_id = str(self.stand_in.next_id())
        with self.stand_in.lock:
            self.stand_in.callback_queries[query_id] = False
            message = json.loads(json.dumps(self.stand_in.messages[button["message_id"]]))
        return self.deliver(
            {
                "update_id": self.stand_in.next_id(),
                "callback_query": {
                    "id": query_id,
                    "from": self.sender,
                    "message": message,
                    "chat_instance": str(self.chat_id),
                    "data": button["callback_data"],
                },
            }
        )

    def wait_for_text(self, check: Callable[[str], bool], timeout: float = 60) -> str:
        """Waits for pushed bot messages (the desk's reply) whose joined text `check` accepts."""
        start = self.seen

        def arrived() -> bool:
            return check(texts(self.stand_in.sent_to(self.chat_id)[start:]))

        self.stand_in.wait_for(arrived, timeout, "pushed message")
        self.new_messages()
        return texts(self.stand_in.sent_to(self.chat_id)[start:])


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)
