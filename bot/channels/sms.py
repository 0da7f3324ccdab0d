"""SMS through Twilio's Programmable Messaging API, for clients without a smartphone.

Credentials (bot/scripts/write_config.py) name `bot.channels.sms.TwilioSmsInput`; Rasa serves it at
/webhooks/twilio/webhook, and pushes (trigger_intent?output_channel=twilio) come back through it.

* Incoming: Twilio's form POST, refused with 403 unless `X-Twilio-Signature` is Twilio's HMAC-SHA1
  of the public webhook URL (configured: Twilio signs what it called, not what a proxy forwards)
  and the sorted POST parameters, keyed with the auth token. A picture (MMS) becomes
  MEDIA_NOT_SUPPORTED, then its caption, if any, is answered; nothing of the picture is kept. The
  MessageSid becomes Rasa's message id, so a delivery Twilio retries is processed once.
* The conversation id is "sms_" and the phone's E.164 digits; replies go to that number.
* Buttons become numbered choices and a reply that is just such a number sends the button's payload.
  The choices are read back from the conversation's tracker (the bot messages Rasa stored, buttons
  included), not kept in this process: every Rasa instance sharing the tracker store reads the same,
  a restart loses nothing, and erasing the conversation erases them too.
* Outgoing: one REST call per SMS part with aiohttp (Rasa's event loop stays free); a text that fits
  the GSM-7 alphabet in parts of at most 160 characters, any other text in parts of at most 70
  UTF-16 code units (UCS-2), so no part is a concatenated SMS.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import aiohttp
from babel import Locale
from babel.lists import format_list
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.constants import IS_EXTERNAL
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.text import MEDIA_NOT_SUPPORTED, pack, split_message
from bot.lang.languages import babel_locale
from bot.nlg.render import digits, text

logger = logging.getLogger(__name__)

CHANNEL_NAME = "twilio"
DEFAULT_API_URL = "https://api.twilio.com"
# Twilio's webhook form is a few KB (a 1,600-character SMS, up to ten media URLs).
MAX_BODY_BYTES = 32 * 1024
GSM7_PART = 160
UCS2_PART = 70
REPLY_WITH_NUMBER = "sms.reply_with_number"
# More choices than this are offered as a range ("1–13") instead of a list ("1, 2 or 3").
LISTED_CHOICES = 4
SEND_TIMEOUT = aiohttp.ClientTimeout(total=15)
# Twilio's empty TwiML: received, and no reply in the HTTP answer (replies go out through the API).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# GSM 03.38: the basic alphabet, and the extension table whose characters take two septets.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# Typographic characters the catalogs use that GSM-7 lacks, as Twilio's "smart encoding" replaces
# them: a German text stays at 160 characters per part instead of 70.
GSM7_LOOKALIKES = str.maketrans(
    {
        "„": '"',
        "“": '"',
        "”": '"',
        "«": '"',
        "»": '"',
        "‚": "'",
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "•": "-",
        "…": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)
_NUMBER_REPLY = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
# A phone's conversation: "sms_" and the E.164 digits. No "+": the kiosk API pushes to
# /conversations/<id> with the id percent-encoded, which Rasa does not decode; the prefix keeps it
# apart from a WhatsApp conversation of the same number.
CONVERSATION_PREFIX = "sms_"
_E164 = re.compile(r"\+([1-9]\d{5,14})")


# --- text: encoding, parts, numbered choices ------------------------------------------------------


def is_gsm7(message: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in message)


def gsm7_length(message: str) -> int:
    """Septets: an extension-table character is sent as escape + character."""
    return sum(2 if char in GSM7_EXTENSION else 1 for char in message)


def ucs2_length(message: str) -> int:
    """UTF-16 code units: a character outside the basic plane (an emoji) takes two."""
    return len(message.encode("utf-16-le")) // 2


def sms_parts(message: str) -> list[str]:
    """The SMS a text is sent as: GSM-7 (after replacing look-alike punctuation) in parts of at most
    160 septets, anything else in parts of at most 70 UTF-16 code units; broken after sentences."""
    plain = message.translate(GSM7_LOOKALIKES)
    if is_gsm7(plain):
        return _packed_lines(plain, GSM7_PART, gsm7_length)
    return _packed_lines(message, UCS2_PART, ucs2_length)


def _packed_lines(message: str, limit: int, size: Callable[[str], int]) -> list[str]:
    """Whole lines packed into parts; only a line longer than a part is split (split_message,
    after sentences), so a numbered choice ("2 … Abs. 2 …") never starts a part cut in half."""
    pieces: list[tuple[str, str]] = []  # (separator before, text)
    separator = ""
    for line in message.strip().split("\n"):
        if not line.strip():
            separator = "\n\n" if pieces else ""
            continue
        chunks = [line] if size(line) <= limit else split_message(line, limit, size=size)
        for index, chunk in enumerate(chunks):
            pieces.append((separator if index == 0 else " ", chunk))
        separator = "\n"
    return pack(pieces, limit, size)


def numbers_phrase(first: int, last: int, language: str) -> str:
    """The numbers to reply with ("1, 2 or 3") in the client's language and digits; a range
    ("1–13") for long lists."""
    numbers = [digits(str(n), language) for n in range(first, last + 1)]
    if len(numbers) > LISTED_CHOICES:
        return f"{numbers[0]}–{numbers[-1]}"
    try:
        locale = Locale.parse(babel_locale(language))
    except (ValueError, LookupError):  # a locale CLDR lacks
        locale = Locale.parse("en")
    patterns = locale.list_patterns["or"]
    if len(numbers) == 2 and " or " in patterns["2"] and locale.language != "en":
        # CLDR's Pashto "or" pattern for two items is the English word; its longer one is Pashto.
        return patterns["end"].format(*numbers)
    return format_list(numbers, style="or", locale=locale)


def with_choices(body: str, buttons: Sequence[dict[str, Any]], first: int, language: str) -> str:
    """The message text, one line per button ("1 Yes"), numbered from `first`, and the catalog's
    "reply with 1 or 2" line."""
    lines = [body.strip()] if body and body.strip() else []
    last = first + len(buttons) - 1
    lines.append("")
    for number, button in enumerate(buttons, start=first):
        lines.append(f"{digits(str(number), language)} {button.get('title') or ''}".rstrip())
    instruction = text(
        REPLY_WITH_NUMBER, language, {"numbers": numbers_phrase(first, last, language)}
    )
    if instruction:
        lines.append(instruction)
    return "\n".join(lines).strip()


def offered_choices(events: Iterable[Event]) -> list[dict[str, Any]]:
    """The buttons a number may pick, in the order they were numbered: those of the latest reply
    (to the client or a push) that had buttons, if it came after the client's last own message.

    One reply is what one output channel sent (a client message's answer or one push); its
    buttons were numbered 1, 2, … across its messages (TwilioSmsOutput)."""
    reply: list[dict[str, Any]] = []
    for event in reversed(list(events)):
        if isinstance(event, BotUttered):
            reply = list(event.data.get("buttons") or []) + reply
        elif isinstance(event, UserUttered):
            if reply:
                return reply
            if not (event.metadata or {}).get(IS_EXTERNAL):
                return []  # the client wrote since: older numbers no longer count
    return reply


def chosen_payload(reply: str, choices: Sequence[dict[str, Any]]) -> str | None:
    """The payload of the button a reply like "2" (or "٢", "2.") picks, else None."""
    found = _NUMBER_REPLY.match(reply)
    if not found or not choices:
        return None
    number = int(found.group(1))  # int() reads Arabic-Indic and Persian digits too
    if 1 <= number <= len(choices):
        payload = choices[number - 1].get("payload")
        return payload if isinstance(payload, str) and payload else None
    return None


def conversation_id(phone: str) -> str | None:
    """The conversation of an E.164 number ("+4915…" -> "sms_4915…"); None for anything else."""
    found = _E164.fullmatch(phone.strip())
    return f"{CONVERSATION_PREFIX}{found.group(1)}" if found else None


def phone_number(conversation: str) -> str:
    return "+" + conversation.removeprefix(CONVERSATION_PREFIX)


# --- Twilio's request signature -------------------------------------------------------------------


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 over the URL followed by every POST parameter's
    name and value, sorted by name (then value), keyed with the auth token."""
    pairs = sorted(set(params))
    signed = url + "".join(f"{name}{value}" for name, value in pairs)
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    """The URL with and without its default port: Twilio has signed both forms."""
    parts = urlsplit(url)
    default = "443" if parts.scheme == "https" else "80"
    host = parts.hostname or ""
    without = urlunsplit(parts._replace(netloc=host)) if parts.port else url
    with_port = url if parts.port else urlunsplit(parts._replace(netloc=f"{host}:{default}"))
    return [without, with_port]


def signature_valid(
    auth_token: str, url: str, params: Sequence[tuple[str, str]], signature: str
) -> bool:
    if not auth_token or not url or not signature:
        return False
    return any(
        hmac.compare_digest(twilio_signature(auth_token, variant, params), signature)
        for variant in _url_variants(url)
    )


# --- the channel ----------------------------------------------------------------------------------


class TwilioApi:
    """Twilio's Messages API for one account: one aiohttp session, opened on the first send."""

    def __init__(self, account_sid: str, auth_token: str, sender: str, api_url: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sender = sender
        self.messages_url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=SEND_TIMEOUT,
                auth=aiohttp.BasicAuth(self.account_sid, self.auth_token),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def send(self, to: str, body: str) -> bool:
        """One SMS; a 5xx, 429 or broken connection is tried once more. Logs status codes only."""
        # A Messaging Service (MG…) picks the sender number itself.
        sender_field = "MessagingServiceSid" if self.sender.startswith("MG") else "From"
        form = {"To": to, sender_field: self.sender, "Body": body}
        for attempt in (1, 2):
            try:
                async with self._client().post(self.messages_url, data=form) as answer:
                    if answer.status < 300:
                        return True
                    error = await _twilio_error_code(answer)
                    logger.warning("twilio: SMS refused, status %s code %s", answer.status, error)
                    if answer.status != 429 and answer.status < 500:
                        return False
            except (aiohttp.ClientError, TimeoutError) as failure:
                logger.warning("twilio: SMS not sent (%s)", type(failure).__name__)
            if attempt == 1:
                await asyncio.sleep(0.5)
        return False


async def _twilio_error_code(answer: aiohttp.ClientResponse) -> object:
    try:
        return (await answer.json(content_type=None)).get("code")
    except (ValueError, aiohttp.ClientError, AttributeError):
        return None


class TwilioSmsOutput(OutputChannel):
    """What Rasa sends to one phone during one request (a client message's answer or one push):
    each message as SMS parts, in order, buttons numbered on from the ones sent before."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(self, api: TwilioApi) -> None:
        self.api = api
        self.choices_sent = 0

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        language = str(message.get("language") or "de")
        buttons = list(message.get("buttons") or message.get("quick_replies") or [])
        body = str(message.get("text") or "")
        if buttons:
            body = with_choices(body, buttons, self.choices_sent + 1, language)
            self.choices_sent += len(buttons)
        if message.get("image") or message.get("attachment") or message.get("custom"):
            logger.info("twilio: a non-text part of a bot message is not sent by SMS")
        await self.send_text_message(recipient_id, body)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        to = phone_number(recipient_id)
        for part in sms_parts(text):
            if not await self.api.send(to, part):
                return  # the rest would read out of context


class TwilioSmsInput(InputChannel):
    """Twilio's incoming SMS webhook."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            account_sid=str(credentials.get("account_sid") or ""),
            auth_token=str(credentials.get("auth_token") or ""),
            twilio_number=str(credentials.get("twilio_number") or ""),
            webhook_url=str(credentials.get("webhook_url") or ""),
            api_url=str(credentials.get("api_url") or DEFAULT_API_URL),
        )

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        twilio_number: str,
        webhook_url: str,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        self.webhook_url = webhook_url
        self.auth_token = auth_token
        self.api = TwilioApi(account_sid, auth_token, twilio_number, api_url)
        # MessageSids being processed here now: a retry arriving meanwhile is not processed twice.
        self._in_flight: set[str] = set()
        if not (auth_token and webhook_url):
            logger.error(
                "twilio: TWILIO_AUTH_TOKEN or TWILIO_WEBHOOK_URL is not set; every SMS webhook "
                "call is refused (403)"
            )

    def get_output_channel(self) -> OutputChannel:
        return TwilioSmsOutput(self.api)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("twilio_sms_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        @webhook.listener("after_server_stop")
        async def close_api(*_: Any) -> None:
            await self.api.close()

        return webhook

    async def _receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return response.text("request too large", status=413)
        signature = request.headers.get("X-Twilio-Signature", "")
        try:
            params = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            params = None
        if not signature_valid(self.auth_token, self.webhook_url, params or [], signature):
            logger.warning("twilio: webhook call with a missing or wrong signature refused")
            return response.text("signature missing or wrong", status=403)
        form = dict(params or [])
        sender = conversation_id(form.get("From", ""))
        message_sid = form.get("MessageSid") or form.get("SmsSid")
        if not sender or not message_sid:
            return response.text("From (a phone number) and MessageSid are required", status=400)
        texts = [form["Body"]] if form.get("Body", "").strip() else []
        if _media_count(form):
            # Said first, then any caption answered; the picture itself is neither read nor kept.
            texts.insert(0, MEDIA_NOT_SUPPORTED)
        if not texts or message_sid in self._in_flight:
            return _received()
        self._in_flight.add(message_sid)
        try:
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            events = list(tracker.events) if tracker is not None else []
            if any(isinstance(e, UserUttered) and e.message_id == message_sid for e in events):
                return _received()  # Twilio's retry of a message already answered
            texts[-1] = chosen_payload(texts[-1], offered_choices(events)) or texts[-1]
            for message_text in texts:
                await on_new_message(
                    UserMessage(
                        message_text,
                        self.get_output_channel(),
                        sender,
                        input_channel=self.name(),
                        message_id=message_sid,
                    )
                )
        except Exception as failure:  # noqa: BLE001 - answered 500, so Twilio may retry it
            logger.error("twilio: SMS not processed (%s)", type(failure).__name__)
            return response.text("not processed", status=500)
        finally:
            self._in_flight.discard(message_sid)
        return _received()


def _media_count(form: dict[str, str]) -> int:
    count = form.get("NumMedia", "0")
    return int(count) if count.isdigit() else 0


def _received() -> HTTPResponse:
    return response.text(EMPTY_TWIML, content_type="text/xml")
