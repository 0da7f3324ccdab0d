"""Lotse's Telegram channel: Rasa 3.6's own (aiogram 2), pointed at a configurable Bot API server,
with the webhook secret checked, inline keyboards whose taps are acknowledged, `/start` in the
client's Telegram language, long answers split and non-text messages answered, never dropped.

Credentials (bot/scripts/write_config.py) name it by module path,
`bot.channels.telegram.TelegramInput`; its name stays "telegram", so the webhook is
`/webhooks/telegram/webhook` and the kiosk API's pushes use `output_channel=telegram`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import RetryAfter, TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.text import MEDIA_NOT_SUPPORTED, split_message
from bot.lang.languages import normalize

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
# Telegram sends the secret_token given to setWebhook in this header with every update.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# setWebhook's secret_token: 1-256 characters, letters, digits, "_" and "-".
VALID_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Telegram's limit per message; counted in UTF-16 code units, the stricter of its two readings.
MESSAGE_LIMIT = 4096
# callback_data of an inline button: 1-64 bytes.
CALLBACK_DATA_LIMIT = 64
# An update with a 4,096-character message and its entities is a few KB.
MAX_UPDATE_BYTES = 64 * 1024
REQUEST_TIMEOUT_SECONDS = 10
# Telegram's flood control answers 429 with how long to wait; a longer wait fails the message.
MAX_RETRY_AFTER_SECONDS = 5
# Edits are not asked for: an edited answer would arrive as the answer to the next question.
ALLOWED_UPDATES = ("message", "callback_query")
# Update ids remembered per process, so an update Telegram delivers again is handled once.
REMEMBERED_UPDATES = 10_000
START_COMMAND = "/start"
CHOOSE_LANGUAGE = "/choose_language"
# Messages Telegram itself writes into a private chat: nothing the client sent.
SERVICE_KEYS = frozenset(
    {
        "message_auto_delete_timer_changed",
        "pinned_message",
        "write_access_allowed",
        "users_shared",
        "chat_shared",
        "connected_website",
    }
)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def message_parts(text: str) -> list[str]:
    """The text in Telegram-sized messages, broken after sentences (bot/channels/text.py)."""
    return split_message(text, MESSAGE_LIMIT, utf16_length) if text.strip() else []


def callback_data(payload: str) -> str | None:
    """A button payload as callback_data: `/intent{json}` with compact JSON; None when it does
    not fit in 64 bytes."""
    intent, brace, rest = payload.partition("{")
    if brace:
        try:
            payload = intent + json.dumps(
                json.loads(brace + rest), separators=(",", ":"), ensure_ascii=False
            )
        except ValueError:
            pass  # not JSON: sent as it is, Rasa reads it the same way
    return payload if 0 < len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT else None


def start_text(language_code: Any) -> str:
    """What `/start` hands Rasa: the choice of the client's Telegram language when Lotse serves
    it (as the web chat's language buttons send it), else the question which language."""
    language = normalize(language_code) if isinstance(language_code, str) else None
    if language is None:
        return CHOOSE_LANGUAGE
    return CHOOSE_LANGUAGE + json.dumps({"language": language})


def is_start(text: str) -> bool:
    command = text.split(maxsplit=1)[0] if text.strip() else ""
    return command == START_COMMAND or command.startswith(START_COMMAND + "@")


@dataclass(frozen=True)
class Incoming:
    """What one update asks of Lotse: a text for Rasa (None: nothing), and a button tap to
    acknowledge."""

    chat_id: int
    text: str | None
    callback_query_id: str | None = None
    keyboard_message_id: int | None = None


class MalformedUpdate(ValueError):
    """The body is not a Telegram update."""


def _private_chat_id(message: Any) -> int | None:
    """The chat id of a message in a private chat; None for groups and channels, which Lotse
    does not serve (one conversation is one client)."""
    if not isinstance(message, dict):
        raise MalformedUpdate("message is not an object")
    chat = message.get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        raise MalformedUpdate("message without chat id")
    return chat["id"] if chat.get("type") == "private" else None


def read_update(update: Any) -> Incoming | None:
    """The Incoming of a Telegram update, None when it holds nothing for Lotse; raises
    MalformedUpdate."""
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise MalformedUpdate("no update_id")
    query = update.get("callback_query")
    if query is not None:
        if not isinstance(query, dict) or not isinstance(query.get("id"), str):
            raise MalformedUpdate("callback query without id")
        message, data = query.get("message"), query.get("data")
        chat_id = _private_chat_id(message) if message is not None else None
        if chat_id is None or not isinstance(data, str) or not data:
            # Still acknowledged, so the client's button stops spinning.
            return Incoming(chat_id=0, text=None, callback_query_id=query["id"])
        message_id = message.get("message_id")
        return Incoming(
            chat_id=chat_id,
            text=data,
            callback_query_id=query["id"],
            keyboard_message_id=message_id if isinstance(message_id, int) else None,
        )
    message = update.get("message")
    if message is None:
        return None  # an update kind Lotse did not ask for (allowed_updates), or an edit
    chat_id = _private_chat_id(message)
    if chat_id is None:
        return None
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        if is_start(text):
            sender = message.get("from") if isinstance(message.get("from"), dict) else {}
            return Incoming(chat_id=chat_id, text=start_text(sender.get("language_code")))
        return Incoming(chat_id=chat_id, text=text)
    if SERVICE_KEYS.intersection(message):
        return None
    # A voice note, picture, file, sticker, location, contact …: answered, nothing of it kept.
    return Incoming(chat_id=chat_id, text=MEDIA_NOT_SUPPORTED)


class TelegramOutput(RasaTelegramOutput):
    """Rasa's Telegram output on a configurable Bot API server, with Lotse's message shapes:
    one button per row, long texts split, no Markdown (staff replies are shown as typed)."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self,
        access_token: str | None,
        api_url: str = DEFAULT_API_URL,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        # Not Rasa's __init__, which always talks to api.telegram.org.
        Bot.__init__(
            self,
            access_token,
            server=TelegramAPIServer.from_base(api_url),
            timeout=timeout,
        )

    async def send_part(
        self, recipient_id: str, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> None:
        """sendMessage, once more after the wait flood control asks for (the parts of a long
        answer come in quick succession)."""
        try:
            await self.send_message(recipient_id, text, reply_markup=keyboard)
        except RetryAfter as flood:
            if flood.timeout > MAX_RETRY_AFTER_SECONDS:
                raise
            await asyncio.sleep(flood.timeout)
            await self.send_message(recipient_id, text, reply_markup=keyboard)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in message_parts(text):
            await self.send_part(recipient_id, part)

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        button_type: str | None = "vertical",
        **kwargs: Any,
    ) -> None:
        parts = message_parts(text)
        if not parts:
            logger.error("Telegram: a message with buttons but no text was not sent")
            return
        keyboard = InlineKeyboardMarkup()
        for button in buttons:
            data = callback_data(str(button.get("payload") or ""))
            if data is None or not button.get("title"):
                logger.error(
                    "Telegram: button %s left out (callback data over 64 bytes or no title)",
                    str(button.get("payload") or "").partition("{")[0],
                )
                continue
            keyboard.row(InlineKeyboardButton(str(button["title"]), callback_data=data))
        for part in parts[:-1]:
            await self.send_part(recipient_id, part)
        await self.send_part(
            recipient_id, parts[-1], keyboard if keyboard.inline_keyboard else None
        )

    async def register_webhook(self, url: str, secret: str) -> None:
        """setWebhook with the secret Telegram then sends back with every update (aiogram 2.15's
        set_webhook predates secret_token)."""
        await self.request(
            "setWebhook",
            {
                "url": url,
                "secret_token": secret,
                "allowed_updates": json.dumps(list(ALLOWED_UPDATES)),
            },
        )

    async def acknowledge_tap(self, callback_query_id: str) -> None:
        await self.answer_callback_query(callback_query_id)

    async def remove_keyboard(self, chat_id: int, message_id: int) -> None:
        """A question answered by a tap cannot be answered again (a second booking, consent
        twice)."""
        await self.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)

    async def close_session(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


async def _quietly(call: Awaitable[Any], what: str) -> None:
    """A Bot API call whose failure must not stop the client's message (logged without
    content)."""
    try:
        await call
    except (TelegramAPIError, asyncio.TimeoutError) as error:
        logger.warning("Telegram: %s failed: %s", what, type(error).__name__)


class TelegramInput(RasaTelegramInput):
    """Rasa's Telegram input with the webhook secret checked (instead of a getMe per update),
    every update read by read_update(), and one output channel shared by replies and pushes."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            access_token=credentials.get("access_token"),
            webhook_secret=credentials.get("webhook_secret"),
            webhook_url=credentials.get("webhook_url"),
            api_url=credentials.get("api_url") or DEFAULT_API_URL,
        )

    def __init__(
        self,
        access_token: str | None,
        webhook_secret: str | None,
        webhook_url: str | None,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        super().__init__(access_token, verify=None, webhook_url=webhook_url, debug_mode=False)
        self.webhook_secret = webhook_secret or ""
        self.api_url = api_url
        self._output: TelegramOutput | None = None
        self._seen_updates: OrderedDict[int, None] = OrderedDict()
        if not VALID_SECRET.match(self.webhook_secret):
            logger.error(
                "Telegram: no valid TELEGRAM_WEBHOOK_SECRET; every webhook call is refused"
            )

    def get_output_channel(self) -> TelegramOutput:
        """One output channel (one HTTP session) for the process; Rasa's makes a new one, and
        registers the webhook, each time."""
        if self._output is None:
            self._output = TelegramOutput(self.access_token, api_url=self.api_url)
        return self._output

    def first_delivery(self, update_id: int) -> bool:
        """False for an update already handled here (Telegram redelivers when its call timed
        out)."""
        if update_id in self._seen_updates:
            return False
        self._seen_updates[update_id] = None
        if len(self._seen_updates) > REMEMBERED_UPDATES:
            self._seen_updates.popitem(last=False)
        return True

    def secret_matches(self, given: str | None) -> bool:
        if not VALID_SECRET.match(self.webhook_secret) or given is None:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.webhook_secret.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)
        out_channel = self.get_output_channel()

        @telegram_webhook.listener("after_server_start")
        async def register_webhook(_app: Any, _loop: Any) -> None:
            if not self.webhook_url or not VALID_SECRET.match(self.webhook_secret):
                return
            await _quietly(
                out_channel.register_webhook(self.webhook_url, self.webhook_secret),
                "setWebhook",
            )

        @telegram_webhook.listener("after_server_stop")
        async def close_session(_app: Any, _loop: Any) -> None:
            await out_channel.close_session()

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.secret_matches(request.headers.get(SECRET_HEADER)):
                return response.json({"error": "forbidden"}, status=403)
            body = request.body or b""
            if len(body) > MAX_UPDATE_BYTES:
                return response.json({"error": "too large"}, status=413)
            try:
                update = json.loads(body)
                incoming = read_update(update)
            except (ValueError, MalformedUpdate):
                return response.json({"error": "not a Telegram update"}, status=400)
            if incoming is None or not self.first_delivery(update["update_id"]):
                return response.text("success")
            if incoming.callback_query_id:
                await _quietly(
                    out_channel.acknowledge_tap(incoming.callback_query_id), "answerCallbackQuery"
                )
            if incoming.keyboard_message_id is not None:
                await _quietly(
                    out_channel.remove_keyboard(incoming.chat_id, incoming.keyboard_message_id),
                    "editMessageReplyMarkup",
                )
            if incoming.text is None:
                return response.text("success")
            try:
                await on_new_message(
                    UserMessage(
                        incoming.text,
                        out_channel,
                        str(incoming.chat_id),
                        input_channel=self.name(),
                        # A redelivered update keeps its id (bookings are idempotent on it).
                        message_id=f"telegram-{update['update_id']}",
                    )
                )
            except Exception as error:  # noqa: BLE001 - a 5xx makes Telegram redeliver it again
                logger.error("Telegram: update not handled: %s", type(error).__name__)
                logger.debug("Telegram: update not handled", exc_info=True)
            return response.text("success")

        return telegram_webhook
