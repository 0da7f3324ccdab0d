"""Two Rasa instances on one PostgreSQL tracker store with the Redis lock store, and a restart.

Runs under scripts/with_postgres.sh and scripts/with_redis.sh (make test-bot), which start throwaway
servers.
"""

from __future__ import annotations

import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import jwt
import psycopg2
import pytest
import redis
import requests
from servers import JWT_SECRET, Servers, model_path

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
