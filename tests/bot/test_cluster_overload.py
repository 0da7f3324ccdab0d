"""The cluster past the chat's capacity (issue 11, part 3), on `make run-cluster`'s real processes
(scripts/run_cluster.sh, its proxy from scripts/cluster_proxy.sh) with a PostgreSQL and a Redis of
this module's own.

Every place the proxy gives REST chat messages on each Rasa instance is taken by a request whose
body has not all arrived yet (Rasa waits for it, as for a slow client or a slow message). A chat
message then waits in the proxy's queue for at most its `timeout queue` of 0.5 s and gets 503 with
the busy body at once, while the kiosk API next to it serves a check-in as usual. Once the places
are free again, chat messages are answered by Rasa.

Needs Debian's postgresql, redis-server and haproxy (make test-bot installs them)."""

from __future__ import annotations

import csv
import io
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from tests.support.cluster import Throwaway, throwaway_cluster

BUSY_BODY = {"error": "busy", "message_key": "busy.try_again", "retry_after": 60}
WALK_IN = {"walk_in": {"language": "ar", "concern": "documents", "interpreter_needed": False}}
QUEUE_SECONDS = 0.5  # the proxy's `timeout queue` for chat messages (LOTSE_PROXY_CHAT_QUEUE)
# A refusal comes after the queue's second; what more it may take on a shared, loaded machine
# (without the proxy's limit the message would wait for a place held for a minute).
REFUSAL_SLACK_SECONDS = 2.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[Throwaway]:
    with tempfile.TemporaryDirectory(prefix="lotse-overload-") as scratch:
        with throwaway_cluster(Path(scratch)) as running:
            yield running


def proxy_rows(cluster: Throwaway, backend: str) -> dict[str, dict[str, str]]:
    """HAProxy's view of a backend and its servers: their limit (`slim`), requests in progress
    (`scur`), the most that ever waited in its queue (`qmax`)."""
    port = (cluster.folder / "stats.port").read_text().strip()
    table = requests.get(f"http://127.0.0.1:{port}/stats;csv", timeout=10).text
    rows = csv.DictReader(io.StringIO(table.lstrip("# ")))
    return {row["svname"]: row for row in rows if row["pxname"] == backend}


def rasa_places(cluster: Throwaway) -> dict[str, dict[str, str]]:
    """The REST chat backend's servers."""
    rows = proxy_rows(cluster, "rasa")
    return {name: row for name, row in rows.items() if name not in ("FRONTEND", "BACKEND")}


def half_sent_message(port: int) -> socket.socket:
    """A REST chat message through the proxy whose headers are sent and whose body is not: the
    proxy has given it a place on a Rasa instance, which waits for the rest."""
    body = b'{"sender": "slow-client", "message": "Hallo"}'
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(
        b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:5]
    )
    return connection


def say(cluster: Throwaway, text: str) -> tuple[requests.Response, float]:
    started = time.perf_counter()
    response = requests.post(
        f"http://127.0.0.1:{cluster.port}/webhooks/rest/webhook",
        json={"sender": f"overload-{uuid.uuid4().hex[:10]}", "message": text},
        timeout=60,
    )
    return response, time.perf_counter() - started


def check_in(cluster: Throwaway) -> tuple[requests.Response, float]:
    started = time.perf_counter()
    response = requests.post(
        f"http://127.0.0.1:{cluster.port}/api/v1/checkins",
        json=WALK_IN,
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=60,
    )
    return response, time.perf_counter() - started


def test_past_the_proxys_places_a_chat_message_gets_busy_at_once_and_the_kiosk_is_served(
    cluster: Throwaway,
) -> None:
    warm_up, _ = check_in(cluster)  # the kiosk API's first check-in opens its connections
    assert warm_up.status_code == 201, warm_up.text
    places = {name: int(row["slim"]) for name, row in rasa_places(cluster).items()}
    assert set(places) == {"rasa-1", "rasa-2"} and all(limit > 0 for limit in places.values())
    with ExitStack() as held:
        for _ in range(sum(places.values())):
            held.callback(half_sent_message(cluster.port).close)
        deadline = time.monotonic() + 30
        while any(int(row["scur"]) < row_limit for row, row_limit in _taken(cluster, places)):
            assert time.monotonic() < deadline, rasa_places(cluster)
            time.sleep(0.1)

        with ThreadPoolExecutor(max_workers=4) as pool:
            chats = [pool.submit(say, cluster, "Guten Tag") for _ in range(3)]
            kiosk = pool.submit(check_in, cluster)
            refused = [chat.result() for chat in chats]
            served, kiosk_seconds = kiosk.result()

        for response, seconds in refused:
            assert response.status_code == 503
            assert response.json() == BUSY_BODY
            assert response.headers["Retry-After"] == "60"
            assert QUEUE_SECONDS - 0.1 <= seconds <= QUEUE_SECONDS + REFUSAL_SLACK_SECONDS
        assert served.status_code == 201, (served.text, kiosk_seconds)
        # The chat's messages waited in the proxy's queue; nothing of the kiosk's ever did.
        assert int(proxy_rows(cluster, "rasa")["BACKEND"]["qmax"]) >= len(refused)
        assert int(proxy_rows(cluster, "kiosk")["BACKEND"]["qmax"]) == 0

    # The places are free again (the half-sent messages were dropped): Rasa answers.
    for _ in range(50):
        if all(int(row["scur"]) == 0 for row in rasa_places(cluster).values()):
            break
        time.sleep(0.1)
    response, _ = say(cluster, "Guten Tag")
    assert response.status_code == 200 and response.json()


def _taken(cluster: Throwaway, places: dict[str, int]) -> list[tuple[dict[str, str], int]]:
    rows = rasa_places(cluster)
    return [(rows[name], limit) for name, limit in places.items()]
