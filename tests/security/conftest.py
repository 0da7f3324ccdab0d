"""The attacks of tests/security run against real servers: the kiosk API, the action server and
Rasa with Lotse's trained model, started once for the session (bot/scripts/start_rasa.sh, as
`make run` does)."""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support.assistant import JWT_SECRET, assistant, built
from tests.support.ports import free_port
from tests.support.processes import ROOT
from tests.web.harness import web_server

BOT_TOKEN = "security-test-bot-token-0123456789abcdef"


@dataclass(frozen=True)
class Stack:
    api_url: str
    rasa_url: str
    actions_url: str
    jwt_secret: str
    var: Path

    def say(self, sender: str, message: str, timeout: float = 60) -> list[dict]:
        """What the assistant answers `message` on the REST channel."""
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def admin_token(self) -> str:
        return jwt.encode(
            {"user": {"username": "security-tests", "role": "admin"}},
            self.jwt_secret,
            algorithm="HS256",
        )


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not built():
        pytest.fail(
            "the bot is not built here: run `make test-security`, which trains it first (make "
            "bot-train)"
        )
    rasa_port = free_port()
    with tempfile.TemporaryDirectory(prefix="lotse-security-") as folder:
        var = Path(folder)
        extra = {
            "LOTSE_RASA_URL": f"http://127.0.0.1:{rasa_port}",
            "LOTSE_RASA_JWT_SECRET": JWT_SECRET,
            "LOTSE_BOT_TOKEN": BOT_TOKEN,
            "LOTSE_TRACKER_DATABASE_URL": f"sqlite:///{var / 'tracker.db'}",
        }
        with (
            web_server(extra_env=extra) as api_url,
            assistant(var, api_url=api_url, bot_token=BOT_TOKEN, rasa_port=rasa_port) as bot,
        ):
            yield Stack(
                api_url=api_url,
                rasa_url=bot.rasa_url,
                actions_url=bot.actions_url,
                jwt_secret=bot.jwt_secret,
                var=var,
            )


@functools.cache
def catalog_texts(msgid: str) -> dict[str, str]:
    """Every served language's text for one bot response, from the gettext catalogs."""
    from babel.messages.pofile import read_po

    texts = {}
    for po in sorted((ROOT / "locales").glob("*/LC_MESSAGES/bot.po")):
        with po.open("rb") as handle:
            message = read_po(handle).get(msgid)
        if message is not None and message.string:
            texts[po.parent.parent.name] = message.string
    return texts


def texts_of(replies: list[dict]) -> list[str]:
    return [reply.get("text") or "" for reply in replies]


def payload(intent: str, **entities: str) -> str:
    return f"/{intent}{json.dumps(entities)}" if entities else f"/{intent}"


def said(replies: list[dict], msgid: str, language: str | None = None) -> bool:
    """Whether a reply is this response, in `language` or any: its text up to the first
    placeholder matches."""
    texts = catalog_texts(msgid)
    candidates = [texts[language]] if language else list(texts.values())
    return any(
        candidate.split("{")[0][:40] in reply
        for reply in texts_of(replies)
        for candidate in candidates
    )
