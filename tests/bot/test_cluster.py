"""`make run-cluster` as tests use it: HAProxy in front of two kiosk API processes, two action
servers and two Rasa servers on PostgreSQL and Redis (scripts/run_cluster.sh), here on a
PostgreSQL and a Redis server of this module's own, which the tests restart.

* PostgreSQL, then Redis, stop without warning in the middle of a registration and a booking: while
  one is down the client is told in their language that nothing was saved and to send the message
  again, and a desk login gets 503 with its code; once it is back the conversation goes on where it
  was, every turn once, one record, one booking.
* An instance of Rasa, one of the kiosk API and one action server are killed in the middle of a
  registration: the conversation goes on on the others, no turn is lost or doubled, and the record
  is made (last: the killed instances stay dead).

Needs Debian's postgresql, redis-server and haproxy (make test-bot installs them)."""

from __future__ import annotations

import csv
import gettext
import io
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import psycopg2
import pytest
import requests
from servers import ROOT

from bot.nlg.catalogs import all_catalogs
from tests.support.cluster import running_cluster
from tests.support.ports import free_port
from tests.support.stores import Postgres, Redis


class Cluster:
    def __init__(self, folder: Path, port: int, postgres: Postgres, redis: Redis) -> None:
        self.folder = folder
        self.url = f"http://127.0.0.1:{port}"
        self.postgres = postgres
        self.redis = redis
        self.secrets = dict(
            line.split("=", 1) for line in (folder / "secrets.env").read_text().split()
        )
        self.databases = dict(
            line.split("=", 1) for line in (folder / "databases.env").read_text().split()
        )

    def kiosk_rows(self, query: str, *parameters: object) -> list[tuple]:
        """A query on the kiosk API's database (psycopg2: the bot environment's driver)."""
        url = self.databases["LOTSE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        connection = psycopg2.connect(url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(query, parameters)
                return cursor.fetchall()
        finally:
            connection.close()

    def login(self, language: str) -> requests.Response:
        """The desk's login (it reads the staff table), as the admin, in `language`."""
        return requests.post(
            f"{self.url}/api/v1/staff/login",
            json={
                "username": "admin",
                "password": (self.folder / "admin-password.txt").read_text().strip(),
            },
            headers={"Accept-Language": language},
            timeout=30,
        )

    def pid(self, name: str) -> int:
        return int((self.folder / f"{name}.pid").read_text())

    def kill(self, name: str) -> None:
        """One instance, without warning (its start script execs the server: one process), between
        two requests: a request it had already begun gets 502 from the proxy, which never sends a
        request twice (the client sends it again)."""
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        # Dead once it is gone, or a zombie whose other threads have exited too (they share the
        # open files, its listening socket among them): its port then refuses at once.
        for _ in range(200):
            try:
                zombie = "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
                if zombie and len(os.listdir(f"/proc/{pid}/task")) <= 1:
                    return
            except FileNotFoundError:
                return
            time.sleep(0.05)
        raise AssertionError(f"{name} did not die")

    def servers(self, backend: str) -> dict[str, dict[str, str]]:
        """HAProxy's own view of a backend's servers: status and requests sent (`stot`)."""
        port = (self.folder / "stats.port").read_text().strip()
        table = requests.get(f"http://127.0.0.1:{port}/stats;csv", timeout=10).text
        rows = csv.DictReader(io.StringIO(table.lstrip("# ")))
        return {
            row["svname"]: row
            for row in rows
            if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def say(self, sender: str, message: str) -> list[dict]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=120,
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict:
        token = jwt.encode(
            {"user": {"username": "tests", "role": "admin"}},
            self.secrets["RASA_JWT_SECRET"],
            algorithm="HS256",
        )
        response = requests.get(
            f"{self.url}/conversations/{sender}/tracker",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Postgres, Redis]]:
    """This module's own PostgreSQL and Redis: restarting the session's would disturb others."""
    folder = tmp_path_factory.mktemp("stores")
    postgres = Postgres()
    try:
        redis = Redis(folder / "redis")
        try:
            yield postgres, redis
        finally:
            redis.stop()
    finally:
        postgres.remove()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, stores: tuple[Postgres, Redis]
) -> Iterator[Cluster]:
    postgres, redis = stores
    folder = tmp_path_factory.mktemp("cluster")
    port = free_port()
    with running_cluster(folder, port, postgres, redis):
        yield Cluster(folder, port, postgres, redis)


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def user_turns(tracker: dict) -> list[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def kiosk_text(language: str, key: str) -> str:
    """The kiosk API's catalog text (its environment is not the bot's: read the compiled file)."""
    return gettext.translation("kiosk", ROOT / "locales", languages=[language]).gettext(key)


def test_a_registration_and_a_booking_go_on_across_a_postgresql_and_a_redis_restart(
    cluster: Cluster,
) -> None:
    en = all_catalogs()["en"]
    sender = f"cluster-{uuid.uuid4().hex[:10]}"
    said: list[str] = []  # the client's messages the bot answered

    def say(message: str) -> list[dict]:
        said.append(message)
        return cluster.say(sender, message)

    def refused(message: str) -> bool:
        """Sent while a store is down: answered at once with "nothing was saved, send it again"
        in the conversation's language, and nothing else."""
        started = time.monotonic()
        replies = cluster.say(sender, message)
        quick = time.monotonic() - started < 5
        return quick and replies == [{"recipient_id": sender, "text": en["unavailable.try_again"]}]

    try:
        say("Hello")
        assert en["utter_ask_site"] in texts(say("I would like to register"))
        say("44135")  # Dortmund (the cluster serves every site), then the consent notice
        if en["utter_ask_given_name"] not in texts(say("/affirm")):
            assert en["utter_ask_given_name"] in texts(say("/start_registration"))
        assert en["utter_ask_family_name"] in texts(say("Amal"))

        # PostgreSQL (the tracker store and the kiosk data) goes down between two messages.
        cluster.postgres.stop()
        assert refused("My family name is Haddad")
        desk = cluster.login("fr")
        assert desk.status_code == 503, desk.text
        assert desk.json()["error"]["code"] == "database_unavailable"
        assert desk.json()["error"]["message"] == kiosk_text("fr", "error.storage_unavailable")
        cluster.postgres.start()
        # Back: the form goes on where it was.
        assert en["utter_ask_birth_date"] in texts(say("Haddad"))
        assert en["utter_ask_phone"] in texts(say("31.12.1990"))
        assert en["utter_ask_residence_status"] in texts(say("/skip"))
        say('/inform{"residence_status":"permit_25_2"}')
        summary = texts(say("I want to apply for basic income support"))
        assert "Amal" in summary and "Haddad" in summary
        done = texts(say("/affirm"))
        reference = cluster.tracker(sender)["slots"]["reference_code"]
        assert reference and reference in done
        pin = re.search(r"\d{6}", done.split(reference, 1)[1])
        assert pin
        assert cluster.login("fr").status_code == 200

        day = say("I would like an appointment")[-1]["buttons"][0]["payload"]
        slot = say(day)[-1]["buttons"][0]["payload"]
        # Redis (Rasa's lock store, the rate limits) goes down as the client taps a time.
        cluster.redis.stop()
        assert refused(slot)
        cluster.redis.start()
        booked = texts(say(slot))
        assert "booking code" in booked.lower(), booked
    finally:
        if not cluster.postgres.running:
            cluster.postgres.start()
        if not cluster.redis.running:
            cluster.redis.start()

    # Every turn once and in order, each answered before the next was read; what was sent while a
    # store was down is not in the conversation.
    assert user_turns(cluster.tracker(sender)) == said
    # One record, whole; one booking, on the slot tapped.
    records = cluster.kiosk_rows(
        "SELECT given_name, family_name FROM intake_records WHERE reference_code = %s", reference
    )
    assert records == [("Amal", "Haddad")]
    bookings = requests.get(
        f"{cluster.url}/api/v1/intakes/{reference}/bookings",
        headers={"X-Lotse-Pin": pin.group()},
        timeout=30,
    )
    assert bookings.status_code == 200, bookings.text
    assert [str(booking["slot"]["id"]) in slot for booking in bookings.json()] == [True]


def test_a_registration_goes_on_when_an_instance_of_each_part_dies_halfway(
    cluster: Cluster,
) -> None:
    de = all_catalogs()["de"]
    sender = f"cluster-{uuid.uuid4().hex[:10]}"
    assert texts(cluster.say(sender, "Guten Tag")).startswith(de["utter_disclosure"].split("{")[0])
    # `make run-cluster` serves every example site: the bot asks for the office first (issue 16).
    assert de["utter_ask_site"] in texts(cluster.say(sender, "Ich möchte mich anmelden"))
    assert "Version" in texts(cluster.say(sender, "44135"))  # Dortmund, then the consent notice
    consented = texts(cluster.say(sender, "/affirm"))
    if de["utter_ask_given_name"] not in consented:  # consent first, then the registration offered
        assert de["utter_ask_given_name"] in texts(cluster.say(sender, "/start_registration"))
    # Both Rasa instances have served this conversation (the proxy spreads REST requests).
    assert all(int(row["stot"]) > 0 for row in cluster.servers("rasa").values())

    cluster.kill("rasa-1")
    assert de["utter_ask_family_name"] in texts(cluster.say(sender, "Amal"))
    assert de["utter_ask_birth_date"] in texts(cluster.say(sender, "Haddad"))
    cluster.kill("kiosk-1")
    cluster.kill("actions-1")
    assert de["utter_ask_phone"] in texts(cluster.say(sender, "31.12.1990"))
    assert de["utter_ask_residence_status"] in texts(cluster.say(sender, "/skip"))
    cluster.say(sender, '/inform{"residence_status":"permit_25_2"}')
    summary = texts(cluster.say(sender, "Ich möchte Grundsicherungsgeld beantragen"))
    assert "Amal" in summary and "Haddad" in summary
    done = texts(cluster.say(sender, "/affirm"))

    tracker = cluster.tracker(sender)
    reference = tracker["slots"]["reference_code"]
    assert reference and reference in done and re.search(r"PIN: \d{6}", done)
    # Every turn once, each answered before the next was read: nothing lost, nothing doubled.
    kinds = [e["event"] for e in tracker["events"] if e["event"] in ("user", "bot")]
    assert "user,user" not in ",".join(kinds)
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"][-3:] == [
        '/inform{"residence_status":"permit_25_2"}',
        "Ich möchte Grundsicherungsgeld beantragen",
        "/affirm",
    ]
    # The proxy's health checks (every second, two failures) take the killed instances out.
    for _ in range(100):
        statuses = [
            cluster.servers(backend)[f"{backend}-1"]["status"]
            for backend in ("rasa", "kiosk", "actions")
        ]
        if all(status.startswith("DOWN") for status in statuses):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the proxy still sends to a dead instance")
    admin = requests.post(
        f"{cluster.url}/api/v1/staff/login",
        json={
            "username": "admin",
            "password": (cluster.folder / "admin-password.txt").read_text().strip(),
        },
        timeout=30,
    )
    assert admin.status_code == 200, admin.text
