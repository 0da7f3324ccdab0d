"""Gap 6: too much access for one role or one proof. The desk role could read, export and print any
record by its sequential id; the date of birth alone opened read, export and delete; lockouts
never grew and were not counted per address; a replayed Idempotency-Key returned the stored answer
before any proof was checked.

Against a real kiosk API process. Each test speaks from its own loopback address (127.0.0.x), so the
per-address count of wrong proofs of one test does not reach another."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from kiosk_api.models import AuditEvent, IntakeRecord, Site
from tests.support.processes import ROOT
from tests.support.seeding import add_slot, slot_in
from tests.web.harness import BOT_TOKEN, web_server

DESK = ("desk-lena", "desk", "desk-password-for-scope-tests")
CASEWORKER = ("case-omar", "caseworker", "caseworker-password-for-scope-tests")
LOCKOUT_SECONDS = 3  # the first lockout of a code; the second lasts twice as long
FAILURES_PER_CODE = 3
FAILURES_PER_ADDRESS = 10
_addresses = itertools.count(10)


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str

    def client(self, **headers: str) -> httpx.Client:
        """A client on an address of its own: the server tells callers apart by address."""
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{next(_addresses)}")
        return httpx.Client(base_url=self.url, transport=transport, headers=headers, timeout=30)

    def staff(self, user: tuple[str, str, str]) -> httpx.Client:
        http = self.client()
        login = http.post("/api/v1/staff/login", json={"username": user[0], "password": user[2]})
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        return http

    def session(self) -> Session:
        return Session(create_engine(self.database_url))


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="lotse-scope-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'scope.db'}"
        env = {
            "LOTSE_DATABASE_URL": database_url,
            "LOTSE_PROOF_MAX_FAILURES": str(FAILURES_PER_CODE),
            "LOTSE_PROOF_LOCKOUT_MINUTES": str(LOCKOUT_SECONDS / 60),
            "LOTSE_PROOF_FAILURES_PER_ADDRESS": str(FAILURES_PER_ADDRESS),
        }
        with web_server(extra_env=env) as url:
            subprocess.run(
                [sys.executable, "-m", "tests.support.seeding"]
                + [f"--staff={':'.join(user)}" for user in (DESK, CASEWORKER)],
                cwd=ROOT,
                env={**os.environ, "LOTSE_ENVIRONMENT": "test", **env},
                check=True,
                stdout=subprocess.DEVNULL,
            )
            yield Server(url=url, database_url=database_url)


def new_record(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    """A client's record with consent (and `fields`): the receipt with code, PIN and record id."""
    notice = http.get("/api/v1/consent/notice", params={"language": "ar"}).json()
    receipt = http.post(
        "/api/v1/consents",
        json={"language": "ar", "notice_version": notice["version"], "channel": "kiosk"},
    )
    assert receipt.status_code == 201, receipt.text
    body = receipt.json()
    if fields:
        changed = http.patch(
            f"/api/v1/intakes/{body['reference_code']}",
            headers={"X-Lotse-Pin": body["pin"]},
            json=fields,
        )
        assert changed.status_code == 200, changed.text
    return body


def record_id(server: Server, reference_code: str) -> int:
    with server.session() as session:
        return session.scalars(
            select(IntakeRecord.id).where(IntakeRecord.reference_code == reference_code)
        ).one()


def refusals(server: Server, subject_id: int) -> list[dict[str, Any]]:
    with server.session() as session:
        return list(
            session.scalars(
                select(AuditEvent.details)
                .where(
                    AuditEvent.action == "intake.read_refused", AuditEvent.subject_id == subject_id
                )
                .order_by(AuditEvent.id)
            )
        )


def checked_in(http: httpx.Client, receipt: dict[str, Any]) -> None:
    ticket = http.post(
        "/api/v1/checkins",
        headers={"X-Lotse-Pin": receipt["pin"]},
        json={"reference_code": receipt["reference_code"]},
    )
    assert ticket.status_code == 201, ticket.text


def future_slot(server: Server, days: int) -> int:
    with server.session() as session:
        site = session.scalars(select(Site)).one()
        slot = add_slot(
            session,
            site=site,
            service_code="integration_point",
            starts_at=slot_in(24 * days),
            capacity=10,
        )
        session.commit()
        return slot.id


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


# --- the desk role -------------------------------------------------------------------------------


def test_the_desk_cannot_read_a_record_no_work_of_today_leads_to(server: Server) -> None:
    receipt = new_record(server.client(), given_name="Amina", family_name="Haddad")
    target = record_id(server, receipt["reference_code"])
    desk = server.staff(DESK)
    refused = desk.get(f"/api/v1/staff/intakes/{target}")
    assert refused.status_code == 404 and error_code(refused) == "record_not_found"
    assert "Haddad" not in refused.text
    # answered exactly like an id that does not exist: the desk learns nothing about the id
    absent = desk.get("/api/v1/staff/intakes/999999")
    assert (absent.status_code, error_code(absent)) == (404, "record_not_found")
    # nor can it book the record a place to bring it into the day's work
    slot = future_slot(server, days=4)
    booked = desk.post("/api/v1/staff/bookings", json={"slot_id": slot, "intake_id": target})
    assert (booked.status_code, error_code(booked)) == (404, "record_not_found")
    assert refusals(server, target) == [
        {"reason": "not_in_todays_work", "wanted": "read", "role": "desk"},
        {"reason": "not_in_todays_work", "wanted": "book", "role": "desk"},
    ]


def test_the_desk_reads_the_record_behind_a_ticket_of_today(server: Server) -> None:
    client = server.client()
    receipt = new_record(client, given_name="Reza", family_name="Ahmadi")
    checked_in(client, receipt)
    desk = server.staff(DESK)
    queue = desk.get("/api/v1/staff/queue").json()
    target = next(
        entry["intake"]["id"]
        for entry in queue
        if entry["intake"] and entry["intake"]["family_name"] == "Ahmadi"
    )
    view = desk.get(f"/api/v1/staff/intakes/{target}")
    assert view.status_code == 200 and view.json()["record"]["family_name"] == "Ahmadi"


def test_the_desk_may_not_export_or_print_even_todays_records(server: Server) -> None:
    client = server.client()
    receipt = new_record(client, given_name="Olena", family_name="Kovalenko")
    checked_in(client, receipt)
    target = record_id(server, receipt["reference_code"])
    desk = server.staff(DESK)
    for path in ("export.json", "sheet.pdf"):
        refused = desk.get(f"/api/v1/staff/intakes/{target}/{path}")
        assert refused.status_code == 403 and error_code(refused) == "role_required"
        assert "Kovalenko" not in refused.text
    assert sorted(event["wanted"] for event in refusals(server, target)) == [
        "export_json",
        "print",
    ]


def test_a_caseworker_exports_and_prints_any_record_of_the_site(server: Server) -> None:
    receipt = new_record(server.client(), given_name="Samir", family_name="Nasser")
    target = record_id(server, receipt["reference_code"])
    caseworker = server.staff(CASEWORKER)
    exported = caseworker.get(f"/api/v1/staff/intakes/{target}/export.json")
    assert exported.status_code == 200 and exported.json()["record"]["family_name"] == "Nasser"
    sheet = caseworker.get(f"/api/v1/staff/intakes/{target}/sheet.pdf")
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "application/pdf"
    assert refusals(server, target) == []


# --- the date of birth ---------------------------------------------------------------------------


def test_the_birth_date_opens_nothing_but_check_in(server: Server) -> None:
    client = server.client()
    receipt = new_record(client, family_name="Haidari", birth_date="1991-07-14")
    url = f"/api/v1/intakes/{receipt['reference_code']}"
    born = {"X-Lotse-Birth-Date": "1991-07-14"}
    attempts = {
        "read": client.get(url, headers=born),
        "update": client.patch(url, headers=born, json={"family_name": "Stolen"}),
        "export": client.get(f"{url}/export", headers=born),
        "checklist": client.get(f"{url}/checklist", headers=born),
        "bookings": client.get(f"{url}/bookings", headers=born),
        "withdraw": client.post(
            f"/api/v1/consents/{receipt['reference_code']}/withdraw", headers=born
        ),
        "delete": client.delete(url, headers=born),
    }
    for what, response in attempts.items():
        assert (response.status_code, error_code(response)) == (401, "pin_required"), what
        assert "Haidari" not in response.text, what
    kept = client.get(url, headers={"X-Lotse-Pin": receipt["pin"]})
    assert kept.status_code == 200 and kept.json()["family_name"] == "Haidari"
    ticket = client.post(
        "/api/v1/checkins", headers=born, json={"reference_code": receipt["reference_code"]}
    )
    assert ticket.status_code == 201 and ticket.json()["ticket_code"]


# --- lockouts ------------------------------------------------------------------------------------


def wrong_pin(receipt: dict[str, Any]) -> dict[str, str]:
    return {"X-Lotse-Pin": "000000" if receipt["pin"] != "000000" else "111111"}


def lock_out(http: httpx.Client, url: str, receipt: dict[str, Any]) -> httpx.Response:
    """Wrong PINs until the code locks; the answer that reports the lock."""
    for _ in range(FAILURES_PER_CODE):
        assert http.get(url, headers=wrong_pin(receipt)).status_code == 401
    locked = http.get(url, headers={"X-Lotse-Pin": receipt["pin"]})
    assert locked.status_code == 429 and error_code(locked) == "too_many_attempts"
    return locked


def test_each_lockout_of_a_code_lasts_longer_than_the_one_before(server: Server) -> None:
    client = server.client()
    receipt = new_record(client)
    url = f"/api/v1/intakes/{receipt['reference_code']}"
    first = int(lock_out(client, url, receipt).headers["Retry-After"])
    assert 0 < first <= LOCKOUT_SECONDS + 1
    time.sleep(first)
    second = int(lock_out(client, url, receipt).headers["Retry-After"])
    assert second > first and second >= 2 * LOCKOUT_SECONDS - 1
    time.sleep(second)
    # the owner gets in once the lock is over; that also ends the growing
    assert client.get(url, headers={"X-Lotse-Pin": receipt["pin"]}).status_code == 200


def test_one_address_guessing_across_many_codes_is_stopped(server: Server) -> None:
    owners = server.client()
    receipts = [new_record(owners) for _ in range(6)]
    attacker = server.client()
    failures = 0
    # two wrong PINs a code stay under each code's own lockout, and unknown codes count too
    for receipt in receipts[:4]:
        for _ in range(2):
            guess = attacker.get(
                f"/api/v1/intakes/{receipt['reference_code']}", headers=wrong_pin(receipt)
            )
            assert guess.status_code == 401
            failures += 1
    while failures < FAILURES_PER_ADDRESS:
        unknown = attacker.get("/api/v1/intakes/LT-0000-0000", headers={"X-Lotse-Pin": "123456"})
        assert unknown.status_code == 404
        failures += 1
    fresh = receipts[5]
    stopped = attacker.get(
        f"/api/v1/intakes/{fresh['reference_code']}", headers={"X-Lotse-Pin": fresh["pin"]}
    )
    assert stopped.status_code == 429 and error_code(stopped) == "too_many_attempts"
    assert int(stopped.headers["Retry-After"]) > 0 and "reference_code" not in stopped.text
    # the owners elsewhere and the bot (which relays every chat) are not locked by the attacker
    for receipt in receipts:
        mine = server.client().get(
            f"/api/v1/intakes/{receipt['reference_code']}", headers={"X-Lotse-Pin": receipt["pin"]}
        )
        assert mine.status_code == 200
    bot = server.client(Authorization=f"Bearer {BOT_TOKEN}")
    assert (
        bot.get(
            f"/api/v1/intakes/{fresh['reference_code']}", headers={"X-Lotse-Pin": fresh["pin"]}
        ).status_code
        == 200
    )


# --- idempotency replays -------------------------------------------------------------------------


def test_a_replayed_idempotency_key_gives_nothing_to_another_caller(server: Server) -> None:
    slot = future_slot(server, days=5)
    owner = server.client()
    key = {"Idempotency-Key": "kiosk-booking-1"}
    first = owner.post("/api/v1/bookings", headers=key, json={"slot_id": slot, "language": "ar"})
    assert first.status_code == 201 and first.json()["pin"]
    # the owner's own retry gets the same answer
    assert (
        owner.post("/api/v1/bookings", headers=key, json={"slot_id": slot, "language": "ar"}).json()
        == first.json()
    )
    # someone else sending the same key and payload gets a booking of their own, not the owner's
    other = server.client().post(
        "/api/v1/bookings", headers=key, json={"slot_id": slot, "language": "ar"}
    )
    assert other.status_code == 201
    assert other.json()["booking_code"] != first.json()["booking_code"]
    assert first.json()["pin"] not in other.text


def test_a_replay_for_a_record_needs_the_records_pin_first(server: Server) -> None:
    """A lobby kiosk is one address for everyone: the replay must pass the PIN check again."""
    slot = future_slot(server, days=6)
    kiosk = server.client()
    receipt = new_record(kiosk, family_name="Karimi")
    booking = {"slot_id": slot, "language": "ar", "reference_code": receipt["reference_code"]}
    key = {"Idempotency-Key": "kiosk-7-booking-3"}
    first = kiosk.post(
        "/api/v1/bookings", headers={**key, "X-Lotse-Pin": receipt["pin"]}, json=booking
    )
    assert first.status_code == 201, first.text
    code = first.json()["booking_code"]
    for headers, expected in (
        ({}, "pin_required"),
        ({"X-Lotse-Birth-Date": "1990-01-01"}, "pin_required"),
        (wrong_pin(receipt), "wrong_proof"),
    ):
        replay = kiosk.post("/api/v1/bookings", headers={**key, **headers}, json=booking)
        assert (replay.status_code, error_code(replay)) == (401, expected)
        assert code not in replay.text
    again = kiosk.post(
        "/api/v1/bookings", headers={**key, "X-Lotse-Pin": receipt["pin"]}, json=booking
    )
    assert again.status_code == 201 and again.json() == first.json()
