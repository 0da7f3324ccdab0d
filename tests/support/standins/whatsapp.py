"""A local stand-in of the WhatsApp Business Cloud API (Meta's Graph API) for the tests.

It answers `POST /<version>/<phone number id>/messages` as Graph does (a wamid per message), checks
what Graph checks that Lotse could get wrong (the access token, text and button limits, no
free-form message outside the 24-hour window: error 131047), and records every message. The
helpers below build and sign what a phone's WhatsApp makes Meta deliver to Lotse's webhook.

Standard library only, like the other test support modules."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

VERSION = "v21.0"
ACCESS_TOKEN = "stand-in-whatsapp-access-token-0123456789"
PHONE_NUMBER_ID = "109876543210"
APP_SECRET = "stand-in-whatsapp-app-secret-0123456789"
VERIFY_TOKEN = "stand-in-whatsapp-verify-token"
WINDOW_SECONDS = 24 * 60 * 60
WEBHOOK_PATH = "/webhooks/whatsapp/webhook"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Sent:
    """One message Lotse sent: the JSON it posted and the wamid the stand-in gave it."""

    to: str
    type: str
    body: dict[str, Any]
    wamid: str

    @property
    def text(self) -> str:
        """What the phone shows as the message's text (body of a text, interactive or the
        template's parameter)."""
        if self.type == "text":
            return self.body["text"]["body"]
        if self.type == "interactive":
            return self.body["interactive"]["body"]["text"]
        if self.type == "template":
            components = self.body["template"].get("components") or []
            return " ".join(p["text"] for c in components for p in c.get("parameters") or [])
        return ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of its reply buttons or list rows."""
        if self.type != "interactive":
            return []
        action = self.body["interactive"]["action"]
        if "buttons" in action:
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        return [(r["id"], r["title"]) for s in action["sections"] for r in s["rows"]]


@dataclass
class WhatsAppStandIn:
    url: str
    server: ThreadingHTTPServer
    sent: list[Sent] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    # When each phone last wrote (the webhook timestamps delivered through deliver()).
    last_inbound: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def env(self) -> dict[str, str]:
        return {
            "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_APP_SECRET": APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "WHATSAPP_API_URL": f"{self.url}/{VERSION}",
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages_to(self, wa_id: str, since: int = 0) -> list[Sent]:
        with self.lock:
            return [m for m in self.sent[since:] if m.to == wa_id]

    def mark(self) -> int:
        with self.lock:
            return len(self.sent)

    def wait_for(
        self,
        wa_id: str,
        check: Callable[[list[Sent]], bool],
        since: int = 0,
        timeout: float = 60,
    ) -> list[Sent]:
        """The messages sent to `wa_id` since `since`, once `check` holds for them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages_to(wa_id, since)
            if check(found):
                return found
            if time.monotonic() > deadline:
                shown = "\n".join(f"{m.type}: {m.text[:200]}" for m in found)
                raise AssertionError(f"no such message to the phone in {timeout} s; got:\n{shown}")
            time.sleep(0.2)

    # What Graph does with one POST /messages.
    def answer(self, path: str, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        if headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return 401, _error(190, "Invalid OAuth access token.")
        if path != f"/{VERSION}/{PHONE_NUMBER_ID}/messages":
            return 404, _error(100, "Unsupported post request.")
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return 400, _error(100, "Invalid parameter")
        problem = _invalid(body)
        to = str(body.get("to"))
        if problem is None and body.get("type") != "template":
            wrote = self.last_inbound.get(to)
            if wrote is None or time.time() - wrote >= WINDOW_SECONDS:
                problem = (131047, "Re-engagement message")
        if problem is not None:
            with self.lock:
                self.refused.append({"body": body, "code": problem[0]})
            return 400, _error(*problem)
        wamid = f"wamid.{uuid.uuid4().hex}"
        with self.lock:
            self.sent.append(Sent(to=to, type=body["type"], body=body, wamid=wamid))
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code}}


def _invalid(body: dict[str, Any]) -> tuple[int, str] | None:
    """The limits Graph enforces (Cloud API "Messages" reference) that a channel can break."""
    if body.get("messaging_product") != "whatsapp" or not str(body.get("to", "")).isdigit():
        return 100, "Invalid parameter"
    kind = body.get("type")
    if kind == "text":
        text = body["text"]["body"]
        return (100, "text too long") if not text or len(text) > 4096 else None
    if kind == "interactive":
        interactive = body["interactive"]
        if not interactive["body"]["text"] or len(interactive["body"]["text"]) > 1024:
            return 131009, "interactive body"
        action = interactive["action"]
        if interactive["type"] == "button":
            buttons = action["buttons"]
            titles_ok = all(0 < len(b["reply"]["title"]) <= 20 for b in buttons)
            ok = 1 <= len(buttons) <= 3 and titles_ok
            return None if ok else (131009, "reply buttons")
        if interactive["type"] == "list":
            rows = [r for s in action["sections"] for r in s["rows"]]
            ok = (
                1 <= len(rows) <= 10
                and 0 < len(action["button"]) <= 20
                and all(0 < len(r["title"]) <= 24 for r in rows)
                and all(len(r.get("description", "")) <= 72 for r in rows)
                and all(len(r["id"]) <= 200 for r in rows)
            )
            return None if ok else (131009, "list message")
        return 131009, "interactive type"
    if kind == "template":
        template = body["template"]
        parameters = [p["text"] for c in template.get("components") or [] for p in c["parameters"]]
        if any("\n" in p or "\t" in p or "     " in p for p in parameters):
            return 132018, "template parameter with new lines or tabs"
        return None if template.get("name") and template["language"].get("code") else (132001, "")
    return 100, "unsupported type"


def start(workdir: Path) -> WhatsAppStandIn:
    holder: dict[str, WhatsAppStandIn] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = holder["stand_in"].answer(self.path, self.headers, raw)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # the test log stays quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="whatsapp-stand-in", daemon=True).start()
    stand_in = WhatsAppStandIn(url=f"http://127.0.0.1:{server.server_address[1]}", server=server)
    holder["stand_in"] = stand_in
    return stand_in


# --- what a phone makes Meta deliver -------------------------------------------------------------


def update(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A webhook update as Meta posts it for this phone number."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "4923100000", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [
            {"profile": {"name": "Test"}, "wa_id": m["from"]} for m in messages[:1]
        ]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}],
    }


def message(
    wa_id: str,
    kind: str = "text",
    *,
    text: str | None = None,
    reply: str | None = None,
    message_id: str | None = None,
    sent_at: float | None = None,
) -> dict[str, Any]:
    """One inbound message: text, a reply-button or list reply (`reply` = the id tapped), or
    media of `kind` (audio, image, document, sticker, location …)."""
    found: dict[str, Any] = {
        "from": wa_id,
        "id": message_id or f"wamid.in.{uuid.uuid4().hex}",
        "timestamp": str(int(sent_at if sent_at is not None else time.time())),
        "type": kind,
    }
    if kind == "text":
        found["text"] = {"body": text or ""}
    elif kind in ("button_reply", "list_reply"):
        found["type"] = "interactive"
        found["interactive"] = {"type": kind, kind: {"id": reply, "title": "…"}}
    elif kind == "audio":
        found["audio"] = {"id": "media-1", "mime_type": "audio/ogg; codecs=opus", "voice": True}
    elif kind == "location":
        found["location"] = {"latitude": 51.51, "longitude": 7.46}
    else:
        found[kind] = {"id": "media-2", "mime_type": "application/octet-stream"}
    return found


def status(wa_id: str, wamid: str, value: str, at: float) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": wamid,
        "status": value,
        "timestamp": str(int(at)),
        "recipient_id": wa_id,
    }
    if value == "failed":
        found["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
    return found


def signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(rasa_url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(
        rasa_url + WEBHOOK_PATH,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with _DIRECT.open(request, timeout=120) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def deliver(stand_in: WhatsAppStandIn, rasa_url: str, payload: dict[str, Any]) -> int:
    """Signs and posts a webhook update into Rasa as Meta would; returns Rasa's status (Rasa has
    handled the messages by then). The stand-in notes when each phone wrote (its window)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    for inbound in _inbound(payload):
        wrote = float(inbound["timestamp"])
        with stand_in.lock:
            previous = stand_in.last_inbound.get(inbound["from"], 0.0)
            stand_in.last_inbound[inbound["from"]] = max(previous, wrote)
    return post(rasa_url, body, {"X-Hub-Signature-256": signature(body)})[0]


def _inbound(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The phone messages in an update (a test may put odd things beside them)."""
    found = []
    for entry in payload.get("entry", []):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                found += [m for m in value.get("messages", []) if isinstance(m, dict)]
    return found
