"""Two Rasa instances on one PostgreSQL tracker store with the Redis lock store, and a restart.

Runs under scripts/with_postgres.sh and scripts/with_redis.sh (make test-bot), which start throwaway
servers.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import jwt
import psycopg2
import pytest
import redis
import requests
from servers import JWT_SECRET, Servers, model_path

from bot.nlg.catalogs import all_catalogs

ARABIC = re.compile(r"[\u0600-\u06FF]")


def tracker_database(postgres_url: str) -> str:
    """A fresh database for Rasa's tracker store on the test cluster; its SQLAlchemy URL."""
    parts = urlsplit(postgres_url)
    name = f"rasa_state_{uuid.uuid4().hex[:8]}"
    connection = psycopg2.connect(urlunsplit(("postgresql", parts.netloc, parts.path, "", "")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    connection.close()
    return urlunsplit(("postgresql", parts.netloc, f"/{name}", "", ""))


@pytest.fixture(scope="module")
def stores(servers: Servers, kiosk_api: str) -> dict[str, str]:
    postgres, redis_url = (
        os.environ.get("LOTSE_TEST_POSTGRES_URL"),
        os.environ.get("LOTSE_TEST_REDIS_URL"),
    )
    if not postgres or not redis_url:
        pytest.fail(
            "run under scripts/with_postgres.sh and scripts/with_redis.sh (make test-bot does)"
        )
    if not servers.actions_url:
        servers.start_actions()
    return {"LOTSE_TRACKER_DATABASE_URL": tracker_database(postgres), "LOTSE_REDIS_URL": redis_url}


def say(rasa: str, sender: str, message: str) -> list[dict]:
    response = requests.post(
        f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=120
    )
    response.raise_for_status()
    return response.json()


def tracker(rasa: str, sender: str) -> dict:
    token = jwt.encode(
        {"user": {"username": "tests", "role": "admin"}}, JWT_SECRET, algorithm="HS256"
    )
    response = requests.get(
        f"{rasa}/conversations/{sender}/tracker",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def test_two_instances_share_a_conversation_and_it_survives_a_restart(
    servers: Servers, stores: dict[str, str]
) -> None:
    model = model_path()
    with ThreadPoolExecutor(max_workers=2) as pool:
        first_url, second_url = pool.map(
            lambda name: servers.start_rasa(model, name=name, stores=stores), ["rasa-a", "rasa-b"]
        )
    first, second = servers.processes[-2:]
    lock_store = redis.Redis.from_url(stores["LOTSE_REDIS_URL"])
    locks_before = lock_store.info("commandstats").get("cmdstat_set", {}).get("calls", 0)

    sender = f"state-{uuid.uuid4().hex[:12]}"
    assert any(
        ARABIC.search(m.get("text", ""))
        for m in say(first_url, sender, '/choose_language{"language":"ar"}')
    )
    # Messages of one conversation arrive at both instances at once; the Redis lock serialises them.
    messages = [
        (first_url if i % 2 else second_url, "/greet" if i % 3 else "/help") for i in range(8)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda target: say(target[0], sender, target[1]), messages))
    assert all(reply and any(ARABIC.search(m.get("text", "")) for m in reply) for reply in replies)
    assert lock_store.info("commandstats").get("cmdstat_set", {}).get("calls", 0) > locks_before

    events = tracker(second_url, sender)["events"]
    kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
    assert kinds.count("user") == 1 + len(messages)
    # Each message was answered before the next one was read: no two user turns without a reply
    # between them.
    assert "user,user" not in ",".join(kinds)

    first.stop(timeout=60)
    second.stop(timeout=60)
    restarted = servers.start_rasa(model, name="rasa-a", stores=stores)
    assert tracker(restarted, sender)["slots"]["language"] == "ar"
    assert any(ARABIC.search(m.get("text", "")) for m in say(restarted, sender, "/greet"))


def test_a_push_on_one_instance_reaches_the_web_chat_connected_to_another(
    servers: Servers, stores: dict[str, str]
) -> None:
    """socket.io across instances: the client's browser is connected to one Rasa instance, the
    kiosk API's push (a turn reminder) lands on the other; the rooms are shared through Redis."""
    import asyncio

    import socketio

    model = model_path()
    with ThreadPoolExecutor(max_workers=2) as pool:
        pushing_url, connected_url = pool.map(
            lambda name: servers.start_rasa(model, name=name, stores=stores),
            ["rasa-push", "rasa-socket"],
        )
    de = all_catalogs()["de"]
    session_id = f"socket-{uuid.uuid4().hex[:12]}"

    async def conversation() -> list[dict]:
        replies: list[dict] = []
        confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        client = socketio.AsyncClient(reconnection=False)
        client.on("bot_uttered", replies.append)
        client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
        await client.connect(connected_url, transports=["websocket"], socketio_path="/socket.io")
        try:
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed, 60)
            await client.emit(
                "user_uttered",
                {
                    "message": '/choose_language{"language":"de"}',
                    "session_id": session_id,
                    "customData": {},
                },
            )
            await wait_for_reply(replies, lambda texts: bool(texts))
            before = len(replies)
            pushed = await asyncio.to_thread(
                requests.post,
                f"{pushing_url}/conversations/{session_id}/trigger_intent",
                params={"output_channel": "socketio"},
                json={
                    "name": "EXTERNAL_ticket_called",
                    "entities": {"ticket_number": "042", "desk": "7"},
                },
                headers={"Authorization": f"Bearer {admin_token()}"},
                timeout=60,
            )
            assert pushed.status_code == 200, pushed.text
            await wait_for_reply(
                replies, lambda texts: any("042" in t and "7" in t for t in texts[before:])
            )
            return replies
        finally:
            await client.disconnect()

    replies = asyncio.run(conversation())
    called = [r["text"] for r in replies if "042" in r.get("text", "")]
    assert called and de["utter_ticket_called"].split("{")[0] in called[0]


async def wait_for_reply(replies: list[dict], found: Callable[[list[str]], bool]) -> None:
    import asyncio

    for _ in range(600):
        if found([r.get("text", "") for r in replies]):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no such reply within 60 s: {replies}")


def admin_token() -> str:
    return jwt.encode(
        {"user": {"username": "tests", "role": "admin"}}, JWT_SECRET, algorithm="HS256"
    )


def test_past_its_limit_an_instance_answers_at_once_that_it_is_busy_in_the_clients_language(
    servers: Servers, stores: dict[str, str]
) -> None:
    """Graceful overload (bot/runtime/admission.py): with one message in progress allowed, a
    message held behind its conversation's lock fills the instance; the next client is told at
    once, in their language, to send again, and nothing of theirs is kept; once the held one is
    answered, messages are served again."""
    from rasa.utils.endpoints import EndpointConfig

    from bot.runtime.lock_store import AtomicRedisLockStore

    busy_url = servers.start_rasa(
        model_path(), name="rasa-busy", stores={**stores, "LOTSE_RASA_MAX_IN_FLIGHT": "1"}
    )
    redis_url = urlsplit(stores["LOTSE_REDIS_URL"])
    db = {"db": int(redis_url.path.strip("/"))} if redis_url.path.strip("/").isdigit() else {}
    locks = AtomicRedisLockStore(EndpointConfig(url=redis_url.hostname, port=redis_url.port, **db))
    catalogs = all_catalogs()
    held = f"held-{uuid.uuid4().hex[:10]}"
    holder = locks.issue_ticket(held, lock_lifetime=120)  # this test holds the conversation
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(say, busy_url, held, "Guten Tag")
        for _ in range(300):  # until the message waits for the lock, i.e. is in progress
            lock = locks.get_lock(held)
            if lock is not None and len(lock.tickets) > 1:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the held message never reached the lock")
        for language, text in [
            ("de", "Guten Tag, ich habe eine Frage zum Jobcenter"),
            ("ar", "مرحبا عندي سؤال عن الجوب سنتر"),
        ]:
            client = f"busy-{language}-{uuid.uuid4().hex[:8]}"
            started = time.monotonic()
            replies = say(busy_url, client, text)
            assert time.monotonic() - started < 2
            assert [m.get("text") for m in replies] == [catalogs[language]["busy.try_again"]]
            assert [e for e in tracker(busy_url, client)["events"] if e["event"] == "user"] == []
        locks.finish_serving(held, holder)
        answered = waiting.result(timeout=120)
    assert answered and catalogs["de"]["busy.try_again"] not in [m.get("text") for m in answered]
    served = say(busy_url, f"after-{uuid.uuid4().hex[:8]}", "Guten Tag")
    assert served and catalogs["de"]["busy.try_again"] not in [m.get("text") for m in served]
