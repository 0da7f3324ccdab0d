"""WhatsApp Business Cloud API channel: Meta's Graph API, direct, no broker
(docs/messengers.md).

In: `/webhooks/whatsapp/webhook` (GET verification handshake; POST signed with the app secret,
X-Hub-Signature-256). Text and button/list replies reach Rasa as they are, anything else as
MEDIA_NOT_SUPPORTED; each message id once, however often Meta delivers it; delivery statuses go to
the kiosk API for the desk's hand-over view.
Out: text split at WhatsApp's limit, buttons as reply buttons (up to 3) or list messages, and
outside the 24-hour customer-service window a pre-approved template (catalog key
WHATSAPP_TEMPLATE) or, where none can carry the message, nothing sent and "held" reported to the
desk.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.text import MEDIA_NOT_SUPPORTED, split_message
from bot.nlg import CLIENT_WROTE_AT, SENT_AT
from bot.nlg.catalogs import lookup

logger = logging.getLogger(__name__)

GRAPH_API_URL = "https://graph.facebook.com/v21.0"
# WhatsApp's limits (Cloud API reference, "Messages"): text body, interactive body, buttons, lists.
TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
REPLY_BUTTONS_MAX = 3
REPLY_TITLE_MAX = 20
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
LIST_BUTTON_MAX = 20
ROW_ID_MAX = 200
# A template's body with its parameter filled in may have at most 1,024 characters.
TEMPLATE_BODY_LIMIT = 1024
SERVICE_WINDOW_SECONDS = 24 * 60 * 60
# Meta's error when a free-form message is sent after the window closed ("re-engagement message").
WINDOW_CLOSED_ERROR = 131047
# Meta batches webhook updates; a batch of a few dozen messages and statuses fits easily.
MAX_WEBHOOK_BYTES = 128 * 1024
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)
# A status must not hold Meta's webhook call long when the kiosk API is slow.
STATUS_TIMEOUT = aiohttp.ClientTimeout(total=5)

WHATSAPP_TEMPLATE = "whatsapp_template"
LIST_BUTTON = "whatsapp_list_button"
# "<template name> <Meta language code or none>: <body with {{1}}>", one per catalog.
_TEMPLATE_ENTRY = re.compile(
    r"^(?P<name>[a-z0-9_]+) (?P<code>[A-Za-z_]+): (?P<body>.*\{\{1\}\}.*)$"
)
_NO_TEMPLATE = "none"
# Meta refuses a template parameter with line breaks, tabs or more than four spaces in a row.
_PARAMETER_BREAKS = re.compile(r"\s*\n\s*|\t| {4,}")
_WA_ID = re.compile(r"^\d{5,20}$")
# A sender's text Rasa reads as it is: what they typed, or the payload of a button they tapped.
REPLY_TYPES = ("button_reply", "list_reply")
# Not a message to answer: an emoji reaction to one of ours, a number change notice.
IGNORED_TYPES = ("reaction", "system")
# What the desk's hand-over view shows (kiosk API delivery-status); "held" is Lotse's own.
STATUSES = ("sent", "delivered", "read", "failed")
HELD = "held"

Clock = Callable[[], float]


@dataclass(frozen=True)
class WhatsAppSettings:
    access_token: str
    phone_number_id: str
    app_secret: str
    verify_token: str
    api_url: str = GRAPH_API_URL
    # The kiosk API that records delivery statuses for the desk; empty: not recorded.
    kiosk_api_url: str = ""
    bot_token: str = ""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any]) -> WhatsAppSettings:
        missing = [
            key
            for key in ("access_token", "phone_number_id", "app_secret", "verify_token")
            if not credentials.get(key)
        ]
        if missing:
            raise ValueError(f"WhatsApp channel: credentials lack {', '.join(missing)}")
        return cls(
            access_token=str(credentials["access_token"]),
            phone_number_id=str(credentials["phone_number_id"]),
            app_secret=str(credentials["app_secret"]),
            verify_token=str(credentials["verify_token"]),
            api_url=str(credentials.get("api_url") or GRAPH_API_URL).rstrip("/"),
            kiosk_api_url=str(credentials.get("kiosk_api_url") or "").rstrip("/"),
            bot_token=str(credentials.get("bot_token") or ""),
        )


# --- pure decisions ------------------------------------------------------------------------------


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256 is "sha256=" + the HMAC-SHA256 of the raw body with the app secret."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest().encode()
    given = header.removeprefix("sha256=").strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)


def window_open(client_wrote_at: float | None, now: float) -> bool:
    """Whether WhatsApp still takes free-form messages: the client wrote within the last 24 h."""
    return client_wrote_at is not None and now - client_wrote_at < SERVICE_WINDOW_SECONDS


@dataclass(frozen=True)
class Template:
    name: str
    language_code: str
    body: str

    def filled_length(self, parameter: str) -> int:
        return len(self.body.replace("{{1}}", parameter))


def template_for(language: str) -> Template | None:
    """The approved template that carries a message in this language (catalog WHATSAPP_TEMPLATE),
    or None where WhatsApp has no template language for it."""
    found = lookup(WHATSAPP_TEMPLATE, language)
    entry = _TEMPLATE_ENTRY.match(found[0].strip()) if found else None
    if entry is None:
        if found:
            logger.error("catalog entry %s for %s is malformed", WHATSAPP_TEMPLATE, language)
        return None
    if entry["code"] == _NO_TEMPLATE:
        return None
    return Template(entry["name"], entry["code"], entry["body"])


def template_parameter(text: str) -> str:
    return _PARAMETER_BREAKS.sub(" · ", text.strip())


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def interactive_messages(
    text: str, buttons: list[dict[str, Any]], language: str
) -> list[dict[str, Any]]:
    """The Graph message bodies for a text with buttons: the text's first parts as plain text
    when it is longer than an interactive body takes, then reply buttons (at most 3, titles of at
    most 20) or list messages (10 rows each, titles cut at 24 with the whole title as the row's
    description)."""
    usable = [b for b in buttons if b.get("title") and b.get("payload")]
    parts = split_message(text, INTERACTIVE_BODY_LIMIT) if text.strip() else []
    messages: list[dict[str, Any]] = [_text_body(part) for part in parts[:-1]]
    body = parts[-1] if parts else "…"
    if any(len(b["payload"]) > ROW_ID_MAX for b in usable):
        logger.error("whatsapp: a button payload is longer than WhatsApp takes; left out")
        usable = [b for b in usable if len(b["payload"]) <= ROW_ID_MAX]
    if not usable:
        return [*messages, _text_body(body)] if parts else messages
    if len(usable) <= REPLY_BUTTONS_MAX and all(len(b["title"]) <= REPLY_TITLE_MAX for b in usable):
        action = {
            "buttons": [
                {"type": "reply", "reply": {"id": b["payload"], "title": b["title"]}}
                for b in usable
            ]
        }
        messages.append(
            {"type": "interactive", "interactive": _interactive("button", body, action)}
        )
        return messages
    label = _short((lookup(LIST_BUTTON, language) or ("…", ""))[0], LIST_BUTTON_MAX)
    chunks = [usable[i : i + LIST_ROWS_MAX] for i in range(0, len(usable), LIST_ROWS_MAX)]
    for index, chunk in enumerate(chunks):
        rows = []
        for button in chunk:
            row = {"id": button["payload"], "title": _short(button["title"], ROW_TITLE_MAX)}
            if row["title"] != button["title"]:
                row["description"] = _short(button["title"], ROW_DESCRIPTION_MAX)
            rows.append(row)
        action = {"button": label, "sections": [{"rows": rows}]}
        # A list needs a body: the text on the first, "2/2" on the ones after it.
        list_body = body if index == 0 else f"{index + 1}/{len(chunks)}"
        messages.append(
            {"type": "interactive", "interactive": _interactive("list", list_body, action)}
        )
    return messages


def _interactive(kind: str, body: str, action: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "body": {"text": body}, "action": action}


def _text_body(text: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": text, "preview_url": False}}


def user_text(message: dict[str, Any]) -> str | None:
    """What Rasa gets for one inbound WhatsApp message: the text, a tapped button's payload,
    MEDIA_NOT_SUPPORTED for anything else (never dropped); None for what is not a message to
    answer."""
    kind = message.get("type")
    if kind == "text":
        body = _dict(message.get("text")).get("body")
        return body if isinstance(body, str) and body.strip() else None
    if kind in IGNORED_TYPES:
        return None
    chosen: Any = None
    if kind == "interactive":
        interactive = _dict(message.get("interactive"))
        if interactive.get("type") in REPLY_TYPES:
            chosen = _dict(interactive.get(interactive["type"])).get("id")
    elif kind == "button":  # a quick-reply button of a template message: its payload, else its text
        button = _dict(message.get("button"))
        chosen = button.get("payload") or button.get("text")
    if isinstance(chosen, str) and chosen.strip():
        return chosen
    # audio (voice notes), image, video, document, sticker, location, contacts, unsupported …
    return MEDIA_NOT_SUPPORTED


# --- out: Graph API ------------------------------------------------------------------------------


class WhatsAppOutput(OutputChannel):
    """Sends Rasa's messages through the Graph API; `clock` (seconds since the epoch) decides the
    24-hour window, so tests can pass the time in."""

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    def __init__(self, settings: WhatsAppSettings, clock: Clock = time.time) -> None:
        self.settings = settings
        self.clock = clock

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        text = str(message.get("text") or "")
        buttons = list(message.get("buttons") or [])
        language = str(message.get("language") or "de")
        if not text.strip() and not buttons:
            return
        if not window_open(_as_time(message.get(CLIENT_WROTE_AT)), self.clock()):
            await self.send_outside_window(recipient_id, text, language)
            return
        if buttons:
            bodies = interactive_messages(text, buttons, language)
        else:
            bodies = [_text_body(part) for part in split_message(text, TEXT_LIMIT)]
        for body in bodies:
            error = await self._post(recipient_id, body)
            if error == WINDOW_CLOSED_ERROR:  # Meta counts the window itself; it has the last word
                await self.send_outside_window(recipient_id, text, language)
                return

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {**kwargs, "text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {**kwargs, "text": text, "buttons": buttons})

    async def send_outside_window(self, recipient_id: str, text: str, language: str) -> None:
        """The client's language's template with the message as its parameter; where no
        template can carry it, nothing is sent and the desk sees "held"."""
        template = template_for(language)
        parameter = template_parameter(text)
        if template is not None and template.filled_length(parameter) <= TEMPLATE_BODY_LIMIT:
            body = {
                "type": "template",
                "template": {
                    "name": template.name,
                    "language": {"code": template.language_code},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": parameter}]}
                    ],
                },
            }
            if await self._post(recipient_id, body) is None:
                return
        logger.info("whatsapp: message held for the desk, the 24-hour window is closed")
        await report_status(self.settings, recipient_id, HELD, self.clock())

    async def _post(self, recipient_id: str, body: dict[str, Any]) -> int | None:
        """Sends one message; None when Graph took it, else Graph's error code (or the HTTP
        status)."""
        url = f"{self.settings.api_url}/{self.settings.phone_number_id}/messages"
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient_id,
            **body,
        }
        headers = {"Authorization": f"Bearer {self.settings.access_token}"}
        try:
            async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
                async with session.post(url, json=payload, headers=headers) as answer:
                    if answer.status < 400:
                        return None
                    data = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as failure:
            logger.warning("whatsapp: Graph API not reached: %s", type(failure).__name__)
            return -1
        code = _dict(_dict(data).get("error")).get("code")
        logger.warning("whatsapp: Graph API refused a %s message: error %s", body["type"], code)
        return int(code) if isinstance(code, int) else answer.status


def _as_time(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


async def report_status(
    settings: WhatsAppSettings, conversation_id: str, status: str, at: float
) -> None:
    """Tells the kiosk API the latest delivery status of the conversation (its hand-over view);
    a conversation without a hand-over (404) is none of the desk's business."""
    if not settings.kiosk_api_url or not settings.bot_token:
        return
    url = (
        f"{settings.kiosk_api_url}/api/v1/handovers/"
        f"{quote(conversation_id, safe='')}/delivery-status"
    )
    payload = {"status": status, "at": datetime.fromtimestamp(at, UTC).isoformat()}
    headers = {"Authorization": f"Bearer {settings.bot_token}"}
    try:
        async with aiohttp.ClientSession(timeout=STATUS_TIMEOUT) as session:
            async with session.post(url, json=payload, headers=headers) as answer:
                if answer.status >= 400 and answer.status != 404:
                    logger.warning("whatsapp: kiosk API refused a status: %s", answer.status)
    except (aiohttp.ClientError, TimeoutError) as failure:
        logger.warning("whatsapp: kiosk API not reached: %s", type(failure).__name__)


# --- in: webhook ---------------------------------------------------------------------------------


class WhatsAppInput(InputChannel):
    """credentials.yml: `bot.channels.whatsapp.WhatsAppInput: {access_token, phone_number_id,
    app_secret, verify_token, api_url, kiosk_api_url, bot_token}` (bot/scripts/write_config.py)."""

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(WhatsAppSettings.from_credentials(credentials))

    def __init__(self, settings: WhatsAppSettings, clock: Clock = time.time) -> None:
        self.settings = settings
        self.clock = clock

    def get_output_channel(self) -> OutputChannel:
        return WhatsAppOutput(self.settings, self.clock)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            challenge = request.args.get("hub.challenge") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode(), self.settings.verify_token.encode()
            ):
                return response.text(challenge)
            return response.text("verification refused", status=403)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.body or b""
            if len(body) > MAX_WEBHOOK_BYTES:
                return response.text("body too large", status=413)
            signature = request.headers.get("X-Hub-Signature-256")
            if not signature_valid(self.settings.app_secret, body, signature):
                logger.warning("whatsapp: webhook call with a missing or wrong signature refused")
                return response.text("signature refused", status=403)
            try:
                update = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                return response.text("not JSON", status=400)
            if not isinstance(update, dict) or not isinstance(update.get("entry"), list):
                return response.text("not a WhatsApp update", status=400)
            values = self._values(update)
            statuses = [status for value in values for status in _dicts(value.get("statuses"))]
            await asyncio.gather(*(self._forward_status(status) for status in statuses))
            # One sender's messages in their order, different senders side by side.
            by_sender: dict[str, list[dict[str, Any]]] = {}
            for message in (m for value in values for m in _dicts(value.get("messages"))):
                by_sender.setdefault(str(message.get("from")), []).append(message)
            agent = request.app.ctx.agent
            outcomes = await asyncio.gather(
                *(self._handle_all(agent, own, on_new_message) for own in by_sender.values()),
                return_exceptions=True,
            )
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            if failures:
                # Meta delivers again; what was handled is skipped then (message ids).
                logger.error("whatsapp: a message was not handled: %s", type(failures[0]).__name__)
                return response.text("not handled", status=500)
            return response.text("ok")

        return webhook

    def _values(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """The `value`s of message changes for this channel's phone number."""
        values = []
        for entry in _dicts(update.get("entry")):
            for change in _dicts(entry.get("changes")):
                value = change.get("value")
                if change.get("field") != "messages" or not isinstance(value, dict):
                    continue
                number = _dict(value.get("metadata")).get("phone_number_id")
                if str(number) == self.settings.phone_number_id:
                    values.append(value)
        return values

    async def _forward_status(self, status: dict[str, Any]) -> None:
        recipient, kind = status.get("recipient_id"), status.get("status")
        if not isinstance(recipient, str) or not _WA_ID.match(recipient) or kind not in STATUSES:
            return
        at = _as_time(_number(status.get("timestamp"))) or self.clock()
        if kind == "failed":
            codes = [e.get("code") for e in _dicts(status.get("errors"))]
            logger.info("whatsapp: a message was not delivered: errors %s", codes)
        await report_status(self.settings, recipient, kind, at)

    async def _handle_all(
        self,
        agent: Any,
        messages: list[dict[str, Any]],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        for message in messages:
            await self._handle(agent, message, on_new_message)

    async def _handle(
        self,
        agent: Any,
        message: dict[str, Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        sender, message_id = message.get("from"), message.get("id")
        if not isinstance(sender, str) or not _WA_ID.match(sender):
            return
        if not isinstance(message_id, str) or not 0 < len(message_id) <= 256:
            return
        text = user_text(message)
        if text is None:
            return
        sent_at = _number(message.get("timestamp"))
        # One message id at a time across every Rasa instance sharing the lock store; the tracker
        # store then says whether an earlier delivery of it was handled already.
        async with agent.lock_store.lock(f"whatsapp-message:{message_id}"):
            if await _handled(agent, sender, message_id):
                logger.info("whatsapp: a repeated delivery of one message was skipped")
                return
            await on_new_message(
                UserMessage(
                    text,
                    self.get_output_channel(),
                    sender,
                    input_channel=self.name(),
                    message_id=message_id,
                    metadata={SENT_AT: sent_at} if sent_at is not None else None,
                )
            )


async def _handled(agent: Any, sender: str, message_id: str) -> bool:
    """Whether the conversation's stored events hold this message already (Rasa keeps the
    channel's message id on UserUttered), in any session."""
    tracker = await agent.tracker_store.retrieve_full_tracker(sender)
    if tracker is None:
        return False
    return any(
        isinstance(event, UserUttered) and event.message_id == message_id
        for event in reversed(tracker.events)
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    """Meta's timestamps are seconds since the epoch, as a string."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
