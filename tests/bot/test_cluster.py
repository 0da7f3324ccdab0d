"""`make run-cluster` as tests use it: HAProxy in front of two kiosk API processes, two action
servers and two Rasa servers on PostgreSQL and Redis (scripts/run_cluster.sh), here on a
PostgreSQL and a Redis server of this module's own, which the tests restart.

* PostgreSQL, then Redis, stop without warning in the middle of a registration and a booking: while
  one is down the client is told in their language that nothing was saved and to send the message
  again, and a desk login gets 503 with its code; once it is back the conversation goes on where it
  was, every turn once, one record, one booking.
* An instance of Rasa, one of the kiosk API and one action server are killed in the middle of a
  registration: the conversation goes on on the others, no turn is lost or doubled, and the record
  is made.
* A desk hand-over on the web chat (socket.io) goes on when the kiosk API instance serving the desk
  dies before the staff reply, when the Rasa instance the chat is connected to dies before the
  client answers, and across a PostgreSQL and a Redis restart: the hand-over is in the inbox once,
  every message reaches the other side once, while PostgreSQL is down client and desk are told so
  in their language, and a reply the desk sends while Redis is down reaches the chat once it is
  back.

Each test starts on the whole cluster: what an earlier one killed is started again first.

Needs Debian's postgresql, redis-server and haproxy (make test-bot installs them)."""

from __future__ import annotations

import asyncio
import csv
import gettext
import io
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import jwt
import psycopg2
import pytest
import requests
import socketio
from servers import ROOT

from bot.nlg.catalogs import all_catalogs
from tests.support.cluster import running_cluster, start_stopped
from tests.support.ports import free_port
from tests.support.stores import Postgres, Redis

INSTANCES = ("kiosk-1", "kiosk-2", "actions-1", "actions-2", "rasa-1", "rasa-2")
# A restarted Rasa instance loads its model first (about 20 s alone, longer beside other work).
RESTART_SECONDS = 300
T = TypeVar("T")


def alive(pid: int) -> bool:
    """Running, not a zombie."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def until(read: Callable[[], T], check: Callable[[T], bool], what: str, seconds: float = 120) -> T:
    """Reads again until `check` holds; fails with the last value read after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s; last read {value!r}")
        time.sleep(0.2)


class Cluster:
    def __init__(
        self,
        folder: Path,
        port: int,
        postgres: Postgres,
        redis: Redis,
        script: subprocess.Popen[bytes],
    ) -> None:
        self.folder = folder
        self.url = f"http://127.0.0.1:{port}"
        self.postgres = postgres
        self.redis = redis
        self.script = script
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
        """The instance's process (its pid file is written anew when it is started again)."""
        path = self.folder / f"{name}.pid"
        return int(until(path.read_text, str.strip, f"{path.name} written", 10))

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
            except (FileNotFoundError, ProcessLookupError):  # reaped, even between open and read
                return
            time.sleep(0.05)
        raise AssertionError(f"{name} did not die")

    def start_stopped(self) -> None:
        """Starts every killed instance again, and waits until the proxy sends to it again (it
        took it out first: its health checks failed)."""
        stopped = [name for name in INSTANCES if not alive(self.pid(name))]
        if not stopped:
            return

        def statuses() -> dict[str, str]:
            return {name: self.server(name)["status"] for name in stopped}

        until(statuses, lambda s: all(v.startswith("DOWN") for v in s.values()), "taken out")
        old = {name: self.pid(name) for name in stopped}
        start_stopped(self.script)
        until(
            lambda: {n: (self.pid(n) != old[n] and alive(self.pid(n))) for n in stopped},
            lambda started: all(started.values()),
            "started again",
        )
        until(statuses, lambda s: all(v == "UP" for v in s.values()), "back", RESTART_SECONDS)

    def server(self, name: str) -> dict[str, str]:
        """HAProxy's row of one instance (`rasa-1`: server rasa-1 of backend rasa)."""
        return self.servers(name.split("-")[0])[name]

    def served_by(self, backend: str, request: Callable[[], object]) -> str:
        """The instance the proxy sent `request` to: the one whose count of requests grew (asked
        again if another request went through meanwhile)."""
        for _ in range(10):
            before = {name: int(row["stot"]) for name, row in self.servers(backend).items()}
            request()
            after = {name: int(row["stot"]) for name, row in self.servers(backend).items()}
            grown = [name for name in after if after[name] > before[name]]
            if len(grown) == 1 and after[grown[0]] == before[grown[0]] + 1:
                return grown[0]
        raise AssertionError(f"no single {backend} instance served the request")

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

    def desk(self) -> dict[str, str]:
        """A desk's headers: the admin logged in, in German, at the Dortmund office (where the
        chats below live). The first login changes the password `lotse init` set, as the desk
        asks to (admin-password.txt then holds the new one)."""
        login = self.login("de")
        assert login.status_code == 200, login.text
        headers = {
            "Authorization": f"Bearer {login.json()['access_token']}",
            "Accept-Language": "de",
            "X-Lotse-Site": "dortmund",
        }
        if login.json()["must_change_password"]:
            password_file = self.folder / "admin-password.txt"
            new_password = secrets.token_urlsafe(24)
            changed = requests.post(
                f"{self.url}/api/v1/staff/me/password",
                json={
                    "current_password": password_file.read_text().strip(),
                    "new_password": new_password,
                },
                headers=headers,
                timeout=30,
            )
            assert changed.status_code == 204, changed.text
            password_file.write_text(new_password + "\n")
        return headers

    def staff(
        self, desk: dict[str, str], method: str, path: str, **kwargs: Any
    ) -> requests.Response:
        return requests.request(
            method, f"{self.url}/api/v1/staff/{path}", headers=desk, timeout=60, **kwargs
        )

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
    with running_cluster(folder, port, postgres, redis) as script:
        yield Cluster(folder, port, postgres, redis, script)


@pytest.fixture(autouse=True)
def whole_cluster(cluster: Cluster) -> None:
    """Every test starts with all instances running, whatever an earlier test killed."""
    cluster.start_stopped()


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


# --- a desk hand-over on the web chat -------------------------------------------------------------

FR = all_catalogs()["fr"]
# The start of all three answers to "a person, please" (the desk open, closed, without hours).
HANDED_OVER = os.path.commonprefix(
    [FR[f"utter_handover_{desk}"] for desk in ("open", "closed_hours", "no_hours")]
)
# The turns the desk's pushes make in the conversation (Rasa's trigger_intent).
PUSHED_REPLY = "EXTERNAL: EXTERNAL_staff_reply"
PUSHED_HAND_BACK = "EXTERNAL: EXTERNAL_handover_ended"


def lead(key: str) -> str:
    """A French response up to its first placeholder."""
    return FR[key].split("{")[0].strip()


class WebChat:
    """The web chat widget on socket.io through the proxy, as a French-speaking client. On every
    connection, the first and one after a lost one, it asks for its session again, as the widget
    does, so the conversation goes on on another Rasa instance. The proxy's cookie puts the first
    connection on `instance`. Its socket.io client runs on an event loop of its own thread."""

    def __init__(self, url: str, instance: str) -> None:
        self.url = url
        self.session_id = f"cluster-{uuid.uuid4().hex[:10]}"
        self.headers = {"Cookie": f"LOTSE_RASA=r{instance.removeprefix('rasa-')}"}
        self.received: list[str] = []  # the bot's messages, as socket.io sends them
        self.disconnections = 0
        self.confirmed: list[str] = []  # the sessions the server confirmed, one per connection
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sio = self.run(self._client())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)

    async def _client(self) -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection_delay=0.2, reconnection_delay_max=1)

        async def connected() -> None:
            await sio.emit("session_request", {"session_id": self.session_id})

        def disconnected(*reason: object) -> None:
            self.disconnections += 1

        sio.on("connect", connected)
        sio.on("disconnect", disconnected)
        sio.on("session_confirm", self.confirmed.append)
        sio.on("bot_uttered", lambda message: self.received.append(message.get("text") or ""))
        return sio

    def __enter__(self) -> WebChat:
        self.run(
            self.sio.connect(
                self.url,
                headers=self.headers,
                transports=["websocket"],
                socketio_path="/socket.io",
                wait_timeout=60,
            )
        )
        until(lambda: self.confirmed, lambda c: c == [self.session_id], "session confirmed")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self.sio.disconnect())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)
            self.loop.close()

    def say(self, message: str) -> int:
        """Sends a message; returns how many bot messages had come before it."""
        mark = len(self.received)
        self.run(
            self.sio.emit(
                "user_uttered",
                {"message": message, "session_id": self.session_id, "customData": {}},
            )
        )
        return mark

    def since(self, mark: int, check: Callable[[list[str]], bool], what: str) -> list[str]:
        """The bot's messages after `mark`, once `check` holds for them."""
        return until(lambda: self.received[mark:], check, what, 120)

    def tell(self, message: str, expected: str) -> None:
        mark = self.say(message)
        self.since(mark, lambda parts: any(expected in part for part in parts), expected)


class HandOver:
    """One web chat handed to the desk, with what each side sent: every check reads the desk's
    inbox, the client's socket.io messages and the conversation Rasa stored."""

    def __init__(self, cluster: Cluster, chat: WebChat) -> None:
        self.cluster = cluster
        self.chat = chat
        self.desk = cluster.desk()
        self.id = 0
        self.turns: list[str] = []  # the user turns Rasa keeps, the pushes' among them
        self.at_desk: list[tuple[str, str]] = []  # the desk's view: sender and original text
        self.replies: list[str] = []
        self.first_attempts: list[bool] = []  # per reply: whether its push went at once

    def inbox(self) -> list[dict]:
        """This conversation's entries in the desk's inbox."""
        response = self.cluster.staff(self.desk, "GET", "inbox")
        assert response.status_code == 200, response.text
        return [c for c in response.json() if c["conversation_id"] == self.chat.session_id]

    def messages(self) -> list[tuple[str, str]]:
        response = self.cluster.staff(self.desk, "GET", f"inbox/{self.id}")
        assert response.status_code == 200, response.text
        return [(m["sender"], m["german"]["original"]) for m in response.json()["messages"]]

    def open(self) -> None:
        """A person, please: the office question first (the cluster serves every site)."""
        self.chat.tell("Bonjour, j'ai besoin d'aide, s'il vous plaît", lead("utter_disclosure"))
        self.chat.tell("/human_handover", FR["utter_ask_site"])
        self.chat.tell("44135", HANDED_OVER)  # Dortmund
        self.turns += ["Bonjour, j'ai besoin d'aide, s'il vous plaît", "/human_handover", "44135"]
        [entry] = until(self.inbox, bool, "the hand-over in the desk's inbox")
        assert entry["language"] == "fr"
        self.id = entry["id"]

    def client_writes(self, text: str) -> None:
        """A message for the desk: it is in the desk's conversation, once."""
        self.chat.say(text)
        self.turns.append(text)
        self.at_desk.append(("client", text))
        until(self.messages, lambda m: m == self.at_desk, "the client's message at the desk")

    def desk_replies(self, text: str) -> None:
        """A reply from the desk: in the client's chat, once, and delivered (Rasa has stored the
        push's turn and let go of the conversation)."""
        self.arrives(text, self.reply(text))

    def reply(self, text: str, *, first_attempt: bool = True) -> int:
        """The desk sends a reply (kept, its push queued); returns the chat's mark before it.
        `first_attempt`: whether Rasa can take its push at once."""
        mark = len(self.chat.received)
        response = self.cluster.staff(
            self.desk, "POST", f"inbox/{self.id}/reply", json={"text": text}
        )
        assert response.status_code == 200, response.text
        self.turns.append(PUSHED_REPLY)
        self.at_desk.append(("staff", text))
        self.replies.append(text)
        self.first_attempts.append(first_attempt)
        return mark

    def arrives(self, text: str, mark: int) -> None:
        self.chat.since(mark, lambda parts: any(text in part for part in parts), "the reply")
        until(self.pushes, lambda pushes: all(sent for _, _, sent in pushes), "pushes delivered")

    def pushes(self) -> list[tuple[str, int, bool]]:
        return self.cluster.kiosk_rows(
            "SELECT intent, attempts, sent_at IS NOT NULL FROM notifications"
            " WHERE conversation_id = %s ORDER BY id",
            self.chat.session_id,
        )

    def hand_back(self) -> None:
        mark = len(self.chat.received)
        response = self.cluster.staff(self.desk, "POST", f"inbox/{self.id}/close")
        assert response.status_code == 200, response.text
        self.chat.since(
            mark, lambda parts: any(lead("utter_handover_ended") in p for p in parts), "hand-back"
        )
        self.turns.append(PUSHED_HAND_BACK)

    def check(self, refusals: int = 0) -> None:
        """Every message once on each side; `refusals`: the client's messages answered with "send
        it again" while a store was down (not kept)."""
        # The desk: the hand-over once, each message once and in order.
        response = self.cluster.staff(self.desk, "GET", "inbox", params={"include_closed": True})
        assert response.status_code == 200, response.text
        listed = [c for c in response.json() if c["conversation_id"] == self.chat.session_id]
        assert [(c["id"], c["status"]) for c in listed] == [(self.id, "closed")]
        assert self.messages() == self.at_desk
        # Rasa: each turn once, the pushes' too, each delivered at the first attempt.
        tracker = until(
            lambda: self.cluster.tracker(self.chat.session_id),
            lambda t: user_turns(t) == self.turns and t["latest_action_name"] == "action_listen",
            "every turn stored",
        )
        pushed = [("EXTERNAL_staff_reply", at_once) for at_once in self.first_attempts]
        until(
            lambda: [(intent, attempts == 1) for intent, attempts, sent in self.pushes() if sent],
            lambda p: p == [*pushed, ("EXTERNAL_handover_ended", True)],
            "every push sent",
        )
        # While the desk held the chat the bot said nothing but the desk's replies.
        events = [e for e in tracker["events"] if e["event"] in ("user", "bot")]
        start = max(i for i, e in enumerate(events) if HANDED_OVER in (e.get("text") or ""))
        held = [e.get("text") or "" for e in events[start + 1 :] if e["event"] == "bot"]
        assert len(held) == len(self.replies) + 1
        assert all(reply in text for reply, text in zip(self.replies, held, strict=False))
        # The client: every message the bot stored, once and in order; the refusals besides.
        said = "\n\n".join((e.get("text") or "").strip() for e in events if e["event"] == "bot")
        received = [t for t in self.chat.received if t != FR["unavailable.try_again"]]
        assert len(self.chat.received) - len(received) == refusals
        assert "\n\n".join(received) == said


CLIENT_FIRST = "J'ai reçu une lettre du Jobcenter et je ne la comprends pas."
CLIENT_ANSWER = "Merci, j'apporterai ma pièce d'identité."
STAFF_REPLY = "Bitte bringen Sie den Brief und Ihren Ausweis mit."


def test_a_desk_hand_over_goes_on_when_the_kiosk_api_instance_serving_the_desk_dies(
    cluster: Cluster,
) -> None:
    with WebChat(cluster.url, "rasa-1") as chat:
        flow = HandOver(cluster, chat)
        flow.open()
        flow.client_writes(CLIENT_FIRST)
        # The instance that served the desk the client's message dies before the reply.
        cluster.kill(cluster.served_by("kiosk", flow.messages))
        flow.desk_replies(STAFF_REPLY)
        flow.client_writes(CLIENT_ANSWER)
        flow.hand_back()
        flow.check()


def test_a_desk_hand_over_goes_on_when_the_rasa_instance_of_the_chat_dies(
    cluster: Cluster,
) -> None:
    with WebChat(cluster.url, "rasa-1") as chat:
        flow = HandOver(cluster, chat)
        flow.open()
        flow.client_writes(CLIENT_FIRST)
        flow.desk_replies(STAFF_REPLY)
        assert chat.disconnections == 0
        cluster.kill("rasa-1")  # the chat's connection drops: it was on this instance
        until(
            lambda: (chat.disconnections, chat.confirmed),
            lambda state: state == (1, [chat.session_id] * 2),
            "the chat back on the other instance",
        )
        flow.client_writes(CLIENT_ANSWER)
        flow.desk_replies("Gern, bis morgen.")
        flow.hand_back()
        flow.check()


def told_at_once_nothing_was_kept(chat: WebChat) -> None:
    """The client's message while a store is down gets "send it again" in French within 10 s."""
    started = time.monotonic()
    mark = chat.say(CLIENT_ANSWER)
    chat.since(mark, lambda parts: parts == [FR["unavailable.try_again"]], "refused")
    assert time.monotonic() - started < 10  # not the proxy's 120 s


def test_a_desk_hand_over_goes_on_across_a_postgresql_restart(cluster: Cluster) -> None:
    with WebChat(cluster.url, "rasa-2") as chat:
        flow = HandOver(cluster, chat)
        flow.open()
        flow.client_writes(CLIENT_FIRST)
        cluster.postgres.stop()
        try:
            # The client is told at once, in French, that nothing was kept.
            told_at_once_nothing_was_kept(chat)
            # The desk, in German, that nothing can be read or saved now.
            for method, path, body in (
                ("GET", "inbox", None),
                ("POST", f"inbox/{flow.id}/reply", {"text": STAFF_REPLY}),
            ):
                response = cluster.staff(flow.desk, method, path, json=body)
                assert response.status_code == 503, response.text
                assert response.json()["error"]["code"] == "database_unavailable"
                assert response.json()["error"]["message"] == kiosk_text(
                    "de", "error.storage_unavailable"
                )
        finally:
            cluster.postgres.start()
        # Both sent again once it is back.
        flow.client_writes(CLIENT_ANSWER)
        flow.desk_replies(STAFF_REPLY)
        flow.hand_back()
        flow.check(refusals=1)


def test_a_desk_hand_over_goes_on_across_a_redis_restart(cluster: Cluster) -> None:
    with WebChat(cluster.url, "rasa-1") as chat:
        flow = HandOver(cluster, chat)
        flow.open()
        flow.client_writes(CLIENT_FIRST)
        cluster.redis.stop()
        try:
            told_at_once_nothing_was_kept(chat)
            # The desk's reply is kept (in PostgreSQL); its push waits for Rasa's lock store.
            mark = flow.reply(STAFF_REPLY, first_attempt=False)
            # Down for longer than the notification dispatcher's ten attempts once lasted (one a
            # second): the length of the outage, not a wait for something. Back before its
            # attempt at 15 s (after 0, 1, 3 and 7 s).
            time.sleep(12)
            [(_, attempts, sent)] = [
                push for push in flow.pushes() if push[0] == "EXTERNAL_staff_reply"
            ]
            assert attempts > 1 and not sent
        finally:
            cluster.redis.start()
        flow.arrives(STAFF_REPLY, mark)
        flow.client_writes(CLIENT_ANSWER)  # sent again
        # The proxy sends the next pushes to either Rasa instance, the chat's or the other.
        flow.desk_replies("Gern, bis morgen.")
        flow.hand_back()
        flow.check(refusals=1)
