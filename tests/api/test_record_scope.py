"""The desk sees only records behind the day's work, on the site's calendar (the day passed in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kiosk_api.db import session_scope
from kiosk_api.models import IntakeRecord, QueueTicket, Site, StaffUser
from kiosk_api.models.enums import StaffRole
from kiosk_api.queue.service import site_today
from kiosk_api.records.service import OutsideTodaysWork, record_for_staff
from tests.api.conftest import consent, make_staff, pin_headers


def checked_in_record(client) -> int:  # type: ignore[no-untyped-def]
    receipt = consent(client)
    ticket = client.post(
        "/api/v1/checkins",
        headers=pin_headers(receipt),
        json={"reference_code": receipt["reference_code"]},
    )
    assert ticket.status_code == 201, ticket.text
    with session_scope() as session:
        return session.scalar(
            select(IntakeRecord.id).where(IntakeRecord.reference_code == receipt["reference_code"])
        )


def test_site_today_follows_the_site_time_zone() -> None:
    berlin = Site(code="x", name="x", timezone="Europe/Berlin")
    late_evening_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert site_today(berlin, late_evening_utc).isoformat() == "2026-03-02"


@pytest.mark.parametrize("role", [StaffRole.desk, StaffRole.caseworker])
def test_the_desk_sees_a_ticket_record_on_its_day_only(client, role: StaffRole) -> None:
    record_id = checked_in_record(client)
    make_staff(role.value)
    with session_scope(write=True) as session:
        staff = session.scalar(select(StaffUser).where(StaffUser.role == role))
        ticket = session.scalar(select(QueueTicket))
        site = session.get(Site, ticket.site_id)
        on_the_day = datetime.combine(ticket.service_day, datetime.min.time(), UTC) + timedelta(
            hours=12
        )
        found = record_for_staff(
            session=session,
            site=site,
            record_id=record_id,
            staff=staff,
            wanted="read",
            now=on_the_day,
        )
        assert found.id == record_id
        next_week = on_the_day + timedelta(days=7)
        if role is StaffRole.desk:
            with pytest.raises(OutsideTodaysWork):
                record_for_staff(
                    session=session,
                    site=site,
                    record_id=record_id,
                    staff=staff,
                    wanted="read",
                    now=next_week,
                )
        else:
            assert (
                record_for_staff(
                    session=session,
                    site=site,
                    record_id=record_id,
                    staff=staff,
                    wanted="read",
                    now=next_week,
                ).id
                == record_id
            )
