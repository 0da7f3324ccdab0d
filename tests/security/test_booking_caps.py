"""Anonymous bookings are capped per source and day and take only a share of each slot (issue 10,
gap 4): a script books every free place from one address, a fake kiosk token, a chat that books
for a crowd, and a crowd booking one slot at once, each against a real kiosk API with two worker
processes, on SQLite or, with `--db=postgres`, PostgreSQL."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.crowd import all_at_once
from tests.support.ports import free_port
from tests.support.processes import ROOT, uvicorn_server

BOT_TOKEN = "booking-caps-bot-token-0123456789abcdef"
ADMIN_PASSWORD = "admin-password-for-booking-caps"
DATABASE_NAME = "lotse_test_booking_caps"
# Small caps, so each attack meets them in a few requests.
CAPS = {
    "LOTSE_ANONYMOUS_BOOKINGS_PER_ADDRESS_PER_DAY": "3",
    "LOTSE_ANONYMOUS_BOOKINGS_PER_DEVICE_PER_DAY": "4",
    "LOTSE_ANONYMOUS_BOOKINGS_PER_CONVERSATION_PER_DAY": "2",
    "LOTSE_ANONYMOUS_BOOKINGS_PER_BOT_PER_DAY": "5",
    "LOTSE_ANONYMOUS_SLOT_SHARE": "0.5",
}
# A day of slots far enough ahead to be bookable whatever the hour; each slot gets a day of its own.
FIRST_SLOT_DAY_OFFSET = 10
CATALOG_KEY_LIMIT = "error.booking_limit_reached"


@functools.cache
def catalog_text(key: str, language: str) -> str:
    from babel.messages.pofile import read_po

    with (ROOT / "locales" / language / "LC_MESSAGES" / "kiosk.po").open("rb") as handle:
        return read_po(handle)[key].string


class Api:
    """The kiosk API as a script, a kiosk, the bot and a site admin reach it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=f"{base}/api/v1", timeout=60)
        self._days = count(FIRST_SLOT_DAY_OFFSET)
        login = self.http.post(
            "/staff/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
        self.admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        site = self.http.get("/admin/site", headers=self.admin).json()
        self.zone = ZoneInfo(site["timezone"])
        # One half-hour window every day of the week: one slot per generated day.
        windows = [{"weekday": d, "opens": "08:00", "closes": "08:30"} for d in range(7)]
        hours = self.http.put("/admin/opening-hours", json={"windows": windows}, headers=self.admin)
        assert hours.status_code == 200, hours.text

    def slot(self, capacity: int) -> int:
        day = (datetime.now(self.zone) + timedelta(days=next(self._days))).date()
        created = self.http.post(
            "/admin/slots/generate",
            json={
                "service_code": "integration_point",
                "date_from": day.isoformat(),
                "date_to": day.isoformat(),
                "minutes": 30,
                "capacity": capacity,
            },
            headers=self.admin,
        )
        assert created.status_code == 201 and len(created.json()) == 1, created.text
        return created.json()[0]["id"]

    def free_places(self) -> dict[int, int]:
        """Free places of every bookable slot in the weeks the tests use."""
        today = datetime.now(self.zone).date()
        listed = self.http.get(
            "/slots",
            params={
                "date_from": today.isoformat(),
                "date_to": (today + timedelta(days=60)).isoformat(),
            },
        )
        assert listed.status_code == 200, listed.text
        return {slot["id"]: slot["free_places"] for slot in listed.json()}

    def book(self, slot_id: int, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post(
            "/bookings", json={"slot_id": slot_id, "language": "fa"}, headers=headers or {}
        )

    def registered_client(self) -> tuple[str, str]:
        """A new record (reference code, PIN) after consent at the kiosk."""
        notice = self.http.get("/consent/notice", params={"language": "ar"}).json()
        receipt = self.http.post(
            "/consents",
            json={"language": "ar", "notice_version": notice["version"], "channel": "kiosk"},
        )
        assert receipt.status_code == 201, receipt.text
        return receipt.json()["reference_code"], receipt.json()["pin"]

    def book_registered(self, slot_id: int, client: tuple[str, str]) -> httpx.Response:
        reference_code, pin = client
        return self.http.post(
            "/bookings",
            json={"slot_id": slot_id, "language": "ar", "reference_code": reference_code},
            headers={"X-Lotse-Pin": pin},
        )

    def enrolled_kiosk(self, name: str = "Kiosk lobby") -> tuple[int, str]:
        """A device created by the admin and enrolled with its code: (id, token)."""
        created = self.http.post(
            "/admin/devices", json={"name": name, "kind": "kiosk"}, headers=self.admin
        )
        assert created.status_code == 201, created.text
        enrolled = self.http.post(
            "/devices/enrol",
            json={"enrolment_code": created.json()["enrolment_code_display"].lower()},
        )
        assert enrolled.status_code == 201, enrolled.text
        return created.json()["device"]["id"], enrolled.json()["token"]


def bot(conversation: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
    if conversation:
        headers["X-Lotse-Conversation"] = conversation
    return headers


def statuses(responses: list[httpx.Response]) -> list[int]:
    return [r.status_code for r in responses]


def refused_as_capped(response: httpx.Response) -> bool:
    return (
        response.status_code == 429
        and response.json()["error"]["code"] == "booking_limit_reached"
        and int(response.headers["Retry-After"]) > 0
    )


def clear_of_midnight(zone: ZoneInfo, margin: timedelta = timedelta(minutes=2)) -> None:
    """The caps count per site-local day: a test starting just before midnight waits it out."""
    now = datetime.now(zone)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), zone)
    if midnight - now < margin:
        time.sleep((midnight - now).total_seconds() + 1)


@contextmanager
def caps_server(
    database_backend: str, postgres_server_url: str | None, folder: Path, **overrides: str
) -> Iterator[Api]:
    from tests.support.databases import drop_postgres_database, fresh_database

    url = fresh_database(
        database_backend,
        folder=folder,
        name=DATABASE_NAME,
        postgres_server_url=postgres_server_url,
    )
    env = {
        **os.environ,
        **CAPS,
        "LOTSE_DATABASE_URL": url,
        "LOTSE_ENVIRONMENT": "test",
        "LOTSE_NOTIFICATION_DISPATCHER": "false",
        "LOTSE_PURGE_INTERVAL_MINUTES": "0",
        "LOTSE_BOT_TOKEN": BOT_TOKEN,
        "LOTSE_SECRET_KEY": "booking-caps-secret-key-0123456789abcdef",
        # The per-minute limiter is another gap's: out of the way of these per-day caps.
        "LOTSE_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000",
        "LOTSE_RATE_LIMIT_LOGIN_PER_MINUTE": "1000",
        **overrides,
    }
    env.pop("LOTSE_RASA_URL", None)
    subprocess.run(
        [sys.executable, "-m", "tests.support.seeding", "--staff", f"admin:admin:{ADMIN_PASSWORD}"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        with uvicorn_server(
            "kiosk_api.main:app",
            env=env,
            port=free_port(),
            log_dir=folder,
            name="kiosk-api",
            workers=2,
            extra_args=("--timeout-graceful-shutdown", "1"),
            startup_seconds=90,
        ) as base:
            api = Api(base)
            clear_of_midnight(api.zone)
            yield api
            api.http.close()
    finally:
        if postgres_server_url:
            drop_postgres_database(postgres_server_url, DATABASE_NAME)


ServerFactory = Callable[..., AbstractContextManager[Api]]


@pytest.fixture
def server(database_backend: str, postgres_server_url: str | None, tmp_path: Path) -> ServerFactory:
    """server(**LOTSE_settings): a fresh database and a kiosk API with two workers on it."""
    return functools.partial(caps_server, database_backend, postgres_server_url, tmp_path)


def test_a_script_booking_from_one_address_is_stopped_at_the_cap(server: ServerFactory) -> None:
    with server() as api:
        slots = [api.slot(capacity=10) for _ in range(6)]
        script = [api.book(slot_id) for slot_id in slots]
        assert statuses(script) == [201, 201, 201, 429, 429, 429]
        assert all(refused_as_capped(r) for r in script[3:])
        german = api.http.post(
            "/bookings",
            json={"slot_id": slots[5], "language": "fa"},
            headers={"Accept-Language": "de"},
        )
        assert german.json()["error"]["message"] == catalog_text(CATALOG_KEY_LIMIT, "de")

        # the honest path: a registered client books on, uncapped, from the same address
        client = api.registered_client()
        assert statuses([api.book_registered(s, client) for s in slots[3:]]) == [201] * 3
        free = api.free_places()
        assert [free.get(s) for s in slots] == [9, 9, 9, 9, 9, 9]


def test_anonymous_bookings_leave_a_slots_reserve_to_registered_clients(
    server: ServerFactory,
) -> None:
    with server() as api:
        slot = api.slot(capacity=4)
        device_id, token = api.enrolled_kiosk()
        anonymous = [
            api.book(slot),
            api.book(slot, {"X-Lotse-Device": token}),
            api.book(slot, bot("chat-a")),
        ]
        assert statuses(anonymous) == [201, 201, 409]
        assert anonymous[2].json()["error"]["code"] == "anonymous_places_taken"

        registered = [api.book_registered(slot, api.registered_client()) for _ in range(3)]
        assert statuses(registered) == [201, 201, 409]
        assert registered[2].json()["error"]["code"] == "slot_full"

        one_place = api.slot(capacity=1)
        assert api.book(one_place).status_code == 201  # a one-place slot stays bookable


def test_a_kiosk_device_books_in_a_bucket_of_its_own(server: ServerFactory) -> None:
    with server() as api:
        slots = [api.slot(capacity=10) for _ in range(6)]
        assert statuses([api.book(s) for s in slots[:4]]) == [201, 201, 201, 429]
        _, token = api.enrolled_kiosk()
        kiosk = {"X-Lotse-Device": token}
        by_kiosk = [api.book(s, kiosk) for s in slots[:5]]
        assert statuses(by_kiosk) == [201, 201, 201, 201, 429]
        assert refused_as_capped(by_kiosk[4])
        _, other_token = api.enrolled_kiosk("Kiosk upstairs")
        assert api.book(slots[5], {"X-Lotse-Device": other_token}).status_code == 201
        assert api.book(slots[5]).status_code == 429


def test_an_invalid_or_revoked_device_token_is_refused(server: ServerFactory) -> None:
    with server() as api:
        slot = api.slot(capacity=10)
        forged = api.book(slot, {"X-Lotse-Device": "forged-token-0123456789abcdefghijklmnopqrstu"})
        assert forged.status_code == 401
        assert forged.json()["error"]["code"] == "device_not_recognised"

        device_id, token = api.enrolled_kiosk()
        assert api.book(slot, {"X-Lotse-Device": token}).status_code == 201
        revoked = api.http.post(f"/admin/devices/{device_id}/revoke", headers=api.admin)
        assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
        again = api.book(slot, {"X-Lotse-Device": token})
        assert again.status_code == 401
        assert again.json()["error"]["code"] == "device_not_recognised"
        assert api.free_places()[slot] == 9


def test_the_bot_books_per_chat_and_in_a_bucket_of_its_own(server: ServerFactory) -> None:
    with server() as api:
        slots = [api.slot(capacity=10) for _ in range(4)]
        assert statuses([api.book(s) for s in slots]) == [201, 201, 201, 429]

        one_chat = [api.book(s, bot("chat-1")) for s in slots[:3]]
        assert statuses(one_chat) == [201, 201, 429]
        assert refused_as_capped(one_chat[2])
        # other chats book on until the bot's own bucket (5 a day) is full
        others = [api.book(slots[0], bot("chat-2")), api.book(slots[1], bot("chat-2"))]
        others += [api.book(slots[2], bot("chat-3")), api.book(slots[3], bot("chat-4"))]
        assert statuses(others) == [201, 201, 201, 429]
        assert refused_as_capped(others[3])
        assert refused_as_capped(api.book(slots[3], bot()))


def test_a_crowd_booking_one_slot_at_once_never_exceeds_its_anonymous_places(
    server: ServerFactory,
) -> None:
    crowd = 30
    with server(
        LOTSE_ANONYMOUS_BOOKINGS_PER_ADDRESS_PER_DAY="1000",
        LOTSE_ANONYMOUS_BOOKINGS_PER_DEVICE_PER_DAY="1000",
    ) as api:
        # ten kiosks and the address: sources of their own, so only the slot's lock keeps order
        sources = [{"X-Lotse-Device": api.enrolled_kiosk(f"Kiosk {n}")[1]} for n in range(10)]
        sources.append({})
        slot = api.slot(capacity=7)  # 3 anonymous places, 4 kept
        responses = all_at_once(
            crowd,
            lambda http, i: http.post(
                f"{api.base}/api/v1/bookings",
                json={"slot_id": slot, "language": "so"},
                headers={"Idempotency-Key": f"crowd-{i}", **sources[i % len(sources)]},
            ),
        )
        assert Counter(statuses(responses)) == {201: 3, 409: crowd - 3}, [
            r.text for r in responses if r.status_code not in (201, 409)
        ]
        assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
            "anonymous_places_taken"
        }
        registered = [api.book_registered(slot, api.registered_client()) for _ in range(4)]
        assert statuses(registered) == [201] * 4
        assert slot not in api.free_places()
