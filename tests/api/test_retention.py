"""Retention: `purge` erases what the site no longer needs, keeps what it does, and is safe to
run from cron."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text, update

from kiosk_api.config import get_settings
from kiosk_api.db import session_scope
from kiosk_api.models import Booking, IntakeRecord, Slot, StatisticEvent, utcnow
from kiosk_api.models.enums import BookingStatus
from kiosk_api.retention.service import purge
from tests.api.conftest import BOT_TOKEN, LiveServer, consent, make_slot, pin_headers
from tests.support.processes import ROOT

RETENTION_DAYS = 90


def record_aged(
    client,
    days: float,
    *,
    submit: bool = False,
    headers: dict[str, str] | None = None,
    **consent_extra: object,
) -> dict:  # type: ignore[no-untyped-def]
    """A record last touched `days` ago."""
    receipt = consent(client, headers=headers, **consent_extra)
    if submit:
        assert (
            client.patch(
                f"/api/v1/intakes/{receipt['reference_code']}",
                headers=pin_headers(receipt),
                json={"submit": True},
            ).status_code
            == 200
        )
    with session_scope(write=True) as session:
        session.execute(
            update(IntakeRecord)
            .where(IntakeRecord.reference_code == receipt["reference_code"])
            .values(updated_at=utcnow() - timedelta(days=days))
        )
    return receipt


def exists(receipt: dict) -> bool:
    with session_scope() as session:
        return (
            session.scalar(
                select(IntakeRecord.id).where(
                    IntakeRecord.reference_code == receipt["reference_code"]
                )
            )
            is not None
        )


def run_purge(*, dry_run: bool = False):  # type: ignore[no-untyped-def]
    with session_scope(write=True) as session:
        return purge(session=session, now=utcnow(), dry_run=dry_run)


def statistics_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(StatisticEvent.id))) or 0


def test_purge_erases_drafts_and_submitted_records_past_retention_and_keeps_younger_ones(
    client,
) -> None:
    old_draft = record_aged(client, RETENTION_DAYS + 1)
    old_submitted = record_aged(client, RETENTION_DAYS + 30, submit=True)
    young_draft = record_aged(client, RETENTION_DAYS - 1)
    fresh = consent(client)
    report = run_purge()
    assert report.records_erased == 2 and report.per_site == {"dortmund": 2}
    assert not exists(old_draft) and not exists(old_submitted)
    assert exists(young_draft) and exists(fresh)
    assert (
        client.get(
            f"/api/v1/intakes/{old_draft['reference_code']}", headers=pin_headers(old_draft)
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/intakes/{young_draft['reference_code']}", headers=pin_headers(young_draft)
        ).status_code
        == 200
    )


def test_the_site_retention_period_decides(client) -> None:
    receipt = record_aged(client, 20)
    assert run_purge().records_erased == 0
    with session_scope(write=True) as session:
        session.execute(text("UPDATE sites SET retention_days = 14"))
    assert run_purge().records_erased == 1 and not exists(receipt)


def book_for(client, receipt: dict, slot_id: int) -> str:  # type: ignore[no-untyped-def]
    booked = client.post(
        "/api/v1/bookings",
        headers=pin_headers(receipt),
        json={"slot_id": slot_id, "reference_code": receipt["reference_code"], "language": "ar"},
    )
    assert booked.status_code == 201, booked.text
    return booked.json()["booking_code"]


def age_everything(days: float) -> None:
    with session_scope(write=True) as session:
        session.execute(update(IntakeRecord).values(updated_at=utcnow() - timedelta(days=days)))


def test_purge_unlinks_past_bookings_keeps_statistics_and_spares_clients_with_an_appointment_ahead(
    client,
) -> None:
    gone, waiting = consent(client), consent(client)
    past_slot, future_slot = (
        make_slot(hours_ahead=48, capacity=2),
        make_slot(hours_ahead=72, capacity=2),
    )
    past_booking = book_for(client, gone, past_slot)
    book_for(client, waiting, future_slot)
    client.post("/api/v1/checkins", json={"walk_in": {"language": "ar", "concern": "other"}})
    with session_scope(write=True) as session:
        slot = session.get(Slot, past_slot)
        slot.starts_at, slot.ends_at = (
            utcnow() - timedelta(days=RETENTION_DAYS + 10),
            utcnow() - timedelta(days=RETENTION_DAYS + 10, minutes=-30),
        )
    age_everything(RETENTION_DAYS + 5)
    statistics_before = statistics_count()
    assert statistics_before == 3

    assert run_purge().records_erased == 1
    assert not exists(gone) and exists(waiting)
    with session_scope() as session:
        booking = session.scalar(select(Booking).where(Booking.booking_code == past_booking))
        assert booking.intake_id is None and booking.status is BookingStatus.cancelled
        assert session.get(Slot, past_slot).booked == 1  # the past is not rewritten
        assert session.get(Slot, future_slot).booked == 1
    assert statistics_count() == statistics_before


def test_erasing_a_record_frees_its_future_places(client) -> None:
    receipt = consent(client)
    slot_id = make_slot(hours_ahead=72, capacity=2)
    book_for(client, receipt, slot_id)
    assert (
        client.delete(
            f"/api/v1/intakes/{receipt['reference_code']}", headers=pin_headers(receipt)
        ).status_code
        == 204
    )
    with session_scope() as session:
        assert session.get(Slot, slot_id).booked == 0
        assert session.scalar(select(Booking.intake_id)) is None
    assert [s["free_places"] for s in client.get("/api/v1/slots").json()] == [2]


def test_dry_run_changes_nothing(client) -> None:
    old = record_aged(client, RETENTION_DAYS + 1)
    client.post(
        "/api/v1/checkins", headers=pin_headers(old), json={"reference_code": old["reference_code"]}
    )
    age_everything(RETENTION_DAYS + 1)
    statistics_before = statistics_count()
    report = run_purge(dry_run=True)
    assert report.records_erased == 1
    assert exists(old) and statistics_count() == statistics_before
    assert (
        client.get(f"/api/v1/intakes/{old['reference_code']}", headers=pin_headers(old)).status_code
        == 200
    )
    age_everything(RETENTION_DAYS + 1)
    assert run_purge().records_erased == 1 and not exists(old)


def _lotse_command() -> list[str]:
    script = Path(sys.executable).with_name("lotse")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kiosk_api.cli"]


@pytest.mark.commits
def test_cli_purge_runs_twice_from_cron_and_prints_json(client) -> None:
    old = record_aged(client, RETENTION_DAYS + 1)
    young = record_aged(client, 1)
    outputs = []
    for _ in range(2):
        finished = subprocess.run(
            [*_lotse_command(), "purge"],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert finished.returncode == 0, finished.stderr
        outputs.append(json.loads(finished.stdout.strip().splitlines()[-1]))
    assert outputs[0]["dry_run"] is False and outputs[0]["records_erased"] == 1
    assert outputs[1]["records_erased"] == 0
    assert not exists(old) and exists(young)
    dry = subprocess.run(
        [*_lotse_command(), "purge", "--dry-run"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        dry.returncode == 0 and json.loads(dry.stdout.strip().splitlines()[-1])["dry_run"] is True
    )


@pytest.fixture
def tracker_store() -> str:
    """Rasa's SQLTrackerStore table, in the SQLite file the kiosk API is configured with."""
    url = os.environ["LOTSE_TRACKER_DATABASE_URL"]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS events"))
        connection.execute(
            text(
                "CREATE TABLE events (id INTEGER NOT NULL PRIMARY KEY, sender_id VARCHAR(255) NOT "
                "NULL, type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )
        connection.execute(text("CREATE INDEX ix_events_sender_id ON events (sender_id)"))
    engine.dispose()
    return url


def add_events(url: str, sender_id: str, *texts: str, days_ago: float = 0) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for message in texts:
            connection.execute(
                text(
                    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, "
                    "action_name, data) VALUES (:s, 'user', :t, 'inform', NULL, :d)"
                ),
                {
                    "s": sender_id,
                    "t": time.time() - days_ago * 86400,
                    "d": json.dumps({"event": "user", "text": message}),
                },
            )
    engine.dispose()


def senders(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT sender_id, count(*) FROM events GROUP BY sender_id")
        ).all()
    engine.dispose()
    return dict(rows)


def test_purge_deletes_the_conversation_in_the_tracker_store(client, tracker_store) -> None:
    add_events(tracker_store, "chat-erased", "my name is Amina Haddad", "born 1990-04-02")
    add_events(tracker_store, "chat-kept", "hello")
    add_events(tracker_store, "chat-anonymous", "what is SGB II?")
    bot = {"Authorization": f"Bearer {BOT_TOKEN}"}  # only the bot may name a conversation
    record_aged(client, RETENTION_DAYS + 1, headers=bot, conversation_id="chat-erased")
    record_aged(client, 3, headers=bot, conversation_id="chat-kept")
    assert run_purge().records_erased == 1
    assert senders(tracker_store) == {"chat-kept": 1, "chat-anonymous": 1}


def test_chats_never_linked_to_a_record_go_after_the_retention_period(
    client, tracker_store
) -> None:
    """Gap 2 of the security review: anonymous chats were never purged; now they go by the age of
    their last event."""
    add_events(tracker_store, "chat-stale", "what is SGB II?", days_ago=RETENTION_DAYS + 2)
    add_events(tracker_store, "chat-resumed", "hello", days_ago=RETENTION_DAYS + 2)
    add_events(tracker_store, "chat-resumed", "and now?", days_ago=1)
    add_events(tracker_store, "chat-fresh", "hello")
    report = run_purge()
    assert report.conversation_events_deleted == 1
    assert senders(tracker_store) == {"chat-resumed": 2, "chat-fresh": 1}


@pytest.mark.parametrize("store", ["not_configured", "unreachable", "not_rasas"])
def test_erasure_fails_loudly_when_the_tracker_store_cannot_be_reached(
    client, tracker_store, tmp_path, monkeypatch, store: str
) -> None:
    """Gap 2: with the store unset or wrong, erasure said "erased" and deleted none of the chat."""
    bot = {"Authorization": f"Bearer {BOT_TOKEN}"}
    receipt = record_aged(client, 1, headers=bot, conversation_id="chat-to-erase")
    add_events(tracker_store, "chat-to-erase", "my name is Amina Haddad")
    url = {
        "not_configured": None,
        "unreachable": f"sqlite:///{tmp_path / 'no-such-folder' / 'tracker.db'}",
        "not_rasas": f"sqlite:///{tmp_path / 'empty.db'}",
    }[store]
    monkeypatch.setattr(get_settings(), "tracker_database_url", url)
    response = client.post(
        f"/api/v1/consents/{receipt['reference_code']}/withdraw", headers=pin_headers(receipt)
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "tracker_store_unreachable"
    assert exists(receipt)  # nothing erased, so nothing reported erased
    assert senders(tracker_store) == {"chat-to-erase": 1}
    monkeypatch.undo()
    withdrawn = client.post(
        f"/api/v1/consents/{receipt['reference_code']}/withdraw", headers=pin_headers(receipt)
    )
    assert withdrawn.status_code == 204 and not exists(receipt)
    assert senders(tracker_store) == {}


@pytest.mark.commits
def test_the_running_service_purges_by_itself(client, live_server: LiveServer) -> None:
    """The timer in the service erases an expired record without cron; its young neighbour stays."""
    old = record_aged(client, RETENTION_DAYS + 1)
    young = record_aged(client, RETENTION_DAYS - 1)
    with live_server(workers=2, extra_env={"LOTSE_PURGE_INTERVAL_MINUTES": "0.01"}):
        deadline = time.monotonic() + 30
        while exists(old) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not exists(old) and exists(young)
