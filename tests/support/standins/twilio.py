"""A local stand-in of Twilio's Programmable Messaging API, and a phone that texts Lotse as Twilio
delivers it.

The stand-in answers `POST /2010-04-01/Accounts/{sid}/Messages.json` as Twilio does (basic auth
with the account SID and auth token, form fields To / From / Body, 201 with the message's SID) and
records every SMS. `Phone.text()` POSTs an incoming SMS into Rasa's webhook form-encoded and signed
with the auth token over the public webhook URL, as Twilio would."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import requests
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "stand-in-twilio-auth-token-0123456789"
LOTSE_NUMBER = "+4923199990000"
# The public address an operator gives Twilio; Rasa listens elsewhere (loopback), as behind a proxy.
PUBLIC_WEBHOOK_URL = "https://lotse.example/webhooks/twilio/webhook"
WEBHOOK_PATH = "/webhooks/twilio/webhook"
MAX_BODY_CHARACTERS = 1600  # Twilio refuses longer bodies (error 21617)


@dataclass
class Sms:
    sid: str
    to: str
    sender: str
    body: str


@dataclass
class TwilioStandIn:
    server: ThreadingHTTPServer
    sent: list[Sms] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_NUMBER": LOTSE_NUMBER,
            "TWILIO_WEBHOOK_URL": PUBLIC_WEBHOOK_URL,
            "TWILIO_API_URL": self.url,
        }

    def record(self, sms: Sms) -> None:
        with self.lock:
            self.sent.append(sms)

    def to(self, phone: str) -> list[str]:
        """The bodies of every SMS sent to `phone`, in order."""
        with self.lock:
            return [sms.body for sms in self.sent if sms.to == phone]

    def wait_for(
        self, phone: str, since: int, check: Callable[[str], bool], timeout: float = 60
    ) -> list[str]:
        """Polls until the SMS sent to `phone` after its first `since`, joined, pass `check`."""
        deadline = time.monotonic() + timeout
        while True:
            parts = self.to(phone)[since:]
            if check("\n".join(parts)):
                return parts
            if time.monotonic() > deadline:
                raise AssertionError(f"no such SMS within {timeout} s; received: {parts}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(stand_in_ref: list[TwilioStandIn]) -> type[BaseHTTPRequestHandler]:
    class MessagesApi(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            return

        def _answer(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            stand_in = stand_in_ref[0]
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
            expected_auth = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected_auth}":
                self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return
            if self.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
                self._answer(404, {"code": 20404, "message": "Not found", "status": 404})
                return
            body = form.get("Body", "")
            sender = form.get("From") or form.get("MessagingServiceSid") or ""
            if not form.get("To") or not sender or not body:
                self._answer(400, {"code": 21604, "message": "missing parameter", "status": 400})
                return
            if len(body) > MAX_BODY_CHARACTERS:
                self._answer(400, {"code": 21617, "message": "body too long", "status": 400})
                return
            sid = "SM" + uuid.uuid4().hex
            stand_in.record(Sms(sid=sid, to=form["To"], sender=sender, body=body))
            self._answer(
                201,
                {
                    "sid": sid,
                    "account_sid": ACCOUNT_SID,
                    "to": form["To"],
                    "from": sender,
                    "body": body,
                    "status": "queued",
                    "direction": "outbound-api",
                    "num_media": "0",
                },
            )

    return MessagesApi


def start(workdir: Path) -> TwilioStandIn:
    holder: list[TwilioStandIn] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(holder))
    server.daemon_threads = True
    stand_in = TwilioStandIn(server=server)
    holder.append(stand_in)
    threading.Thread(target=server.serve_forever, name="twilio-stand-in", daemon=True).start()
    return stand_in


def new_phone_number() -> str:
    """A German mobile number no other test uses."""
    return "+49151" + str(uuid.uuid4().int)[:8]


@dataclass
class Phone:
    """A client's phone texting Lotse's number through Twilio (the stand-in signs as Twilio)."""

    rasa_url: str
    number: str = field(default_factory=new_phone_number)

    def text(
        self,
        body: str = "",
        *,
        media: list[tuple[str, str]] | None = None,
        message_sid: str | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        """Delivers one SMS/MMS; `signature` replaces Twilio's (None: signed right, "": none)."""
        params = twilio_form(self.number, body, media or [], message_sid)
        if signature is None:
            signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_WEBHOOK_URL, params)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return requests.post(
            self.rasa_url + WEBHOOK_PATH, data=params, headers=headers, timeout=120
        )


def twilio_form(
    sender: str, body: str, media: list[tuple[str, str]], message_sid: str | None
) -> dict[str, str]:
    """The fields Twilio posts for an incoming message (Twilio's messaging webhook)."""
    sid = message_sid or "SM" + uuid.uuid4().hex
    form = {
        "ToCountry": "DE",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "DE",
        "To": LOTSE_NUMBER,
        "MessagingServiceSid": "",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    for index, (url, content_type) in enumerate(media):
        form[f"MediaUrl{index}"] = url
        form[f"MediaContentType{index}"] = content_type
    return form
