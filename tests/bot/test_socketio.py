"""The web chat's channel: a python-socketio client talks to the real Rasa server over socket.io,
as the widget does."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable

import socketio
import yaml
from servers import Servers

from bot.nlg.catalogs import all_catalogs

ARABIC = re.compile(r"[\u0600-\u06FF]")
CHOOSE_ARABIC = '/choose_language{"language":"ar"}'
REPLY_SECONDS = 60


class ChatClient:
    """One browser tab: a socket.io connection that asks for a session and collects the bot's
    messages."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies: list[dict] = []
        self.confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.sio.on("bot_uttered", self.replies.append)
        self.sio.on(
            "session_confirm",
            lambda session_id: self.confirmed.done() or self.confirmed.set_result(session_id),
        )

    async def open(self, session_id: str | None) -> str:
        await self.sio.connect(self.url, transports=["websocket"], socketio_path="/socket.io")
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed, REPLY_SECONDS)

    async def say(self, session_id: str, message: str) -> None:
        await self.sio.emit(
            "user_uttered", {"message": message, "session_id": session_id, "customData": {}}
        )

    async def wait_for(self, found: Callable[[list[dict]], bool]) -> list[dict]:
        for _ in range(REPLY_SECONDS * 10):
            if found(self.replies):
                return self.replies
            await asyncio.sleep(0.1)
        raise AssertionError(f"no such reply within {REPLY_SECONDS} s: {self.replies}")

    async def close(self) -> None:
        await self.sio.disconnect()


def has_text(text: str) -> Callable[[list[dict]], bool]:
    return lambda replies: any(reply.get("text") == text for reply in replies)


def starts_with(prefix: str) -> Callable[[list[dict]], bool]:
    return lambda replies: any(reply.get("text", "").startswith(prefix) for reply in replies)


def test_the_rasa_server_runs_the_socketio_channel_with_session_persistence(
    rasa_server: str, servers: Servers
) -> None:
    credentials = yaml.safe_load(
        (servers.workdir / "rasa" / "rasa-credentials.yml").read_text(encoding="utf-8")
    )
    assert credentials["socketio"]["session_persistence"] is True
    assert (
        credentials["socketio"]["user_message_evt"],
        credentials["socketio"]["bot_message_evt"],
    ) == ("user_uttered", "bot_uttered")


def test_a_session_gets_replies_in_its_language_and_only_its_own(rasa_server: str) -> None:
    arabic = all_catalogs()["ar"]

    async def talk() -> None:
        tab, other = ChatClient(rasa_server), ChatClient(rasa_server)
        try:
            # No session id: the server makes one and confirms it.
            session_id = await tab.open(None)
            assert re.fullmatch(r"[0-9a-f]{32}", session_id)
            assert await other.open(uuid.uuid4().hex) != session_id
            await tab.say(session_id, CHOOSE_ARABIC)
            replies = await tab.wait_for(starts_with(arabic["utter_language_set"].split("{")[0]))
            assert all(ARABIC.search(reply["text"]) for reply in replies)
            await asyncio.sleep(1)
            assert (
                other.replies == []
            )  # bot_uttered goes to the session's room, not to every socket
        finally:
            await tab.close()
            await other.close()

    asyncio.run(talk())


def test_a_new_connection_with_the_same_session_continues_the_conversation(
    rasa_server: str,
) -> None:
    arabic = all_catalogs()["ar"]
    session_id = uuid.uuid4().hex

    async def talk() -> None:
        first = ChatClient(rasa_server)
        try:
            assert await first.open(session_id) == session_id
            await first.say(session_id, CHOOSE_ARABIC)
            await first.wait_for(starts_with(arabic["utter_language_set"].split("{")[0]))
        finally:
            await first.close()

        # A fresh session greets in its own default language: the Arabic below comes from the stored
        # conversation.
        fresh = ChatClient(rasa_server)
        try:
            fresh_id = await fresh.open(uuid.uuid4().hex)
            await fresh.say(fresh_id, "/greet")
            fresh_replies = await fresh.wait_for(lambda replies: bool(replies))
            assert not any(reply.get("text") == arabic["utter_greet"] for reply in fresh_replies)
        finally:
            await fresh.close()

        # The page reloaded or the phone reconnected: new socket, same session id from
        # sessionStorage.
        second = ChatClient(rasa_server)
        try:
            assert await second.open(session_id) == session_id
            await second.say(session_id, "/greet")
            replies = await second.wait_for(has_text(arabic["utter_greet"]))
            greeting = next(
                reply for reply in replies if reply.get("text") == arabic["utter_greet"]
            )
            assert greeting["quick_replies"]  # the buttons come along for the widget to show
        finally:
            await second.close()

    asyncio.run(talk())
