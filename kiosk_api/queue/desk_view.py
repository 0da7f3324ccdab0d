"""The desk's German view of tickets and records, free text machine-translated with the original
kept; and the desk's operations on tickets, each answering with that view."""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import datetime
from typing import Any

from babel import Locale
from pydantic import TypeAdapter
from sqlalchemy import Row
from sqlalchemy.orm import Session

from kiosk_api.i18n import language_name, translate
from kiosk_api.models import QueueTicket, Site, utcnow
from kiosk_api.models.enums import TicketStatus
from kiosk_api.queue import service as queue_service
from kiosk_api.queue.schemas import QueueEntry
from kiosk_api.translation.provider import Route
from kiosk_api.translation.service import to_german

DESK_LOCALE = "de"
_COUNTRIES_DE = Locale("de").territories


class GermanLabels(dict[str, str]):
    """The desk's German labels, each looked up once per view: a queue of 60 tickets repeats the
    same few."""

    def __init__(self) -> None:
        super().__init__()
        self.notices: dict[tuple[str, str, str], str] = {}
        self.routes: dict[tuple[str, str], tuple[Route | None, str]] = {}

    def __missing__(self, key: str) -> str:
        self[key] = translate(key, DESK_LOCALE)
        return self[key]

    def language(self, code: str) -> str:
        key = f"language_name:{code}"
        if key not in self:
            self[key] = language_name(code, DESK_LOCALE)
        return self[key]


def _intake_summary(row: Row[Any], labels: GermanLabels) -> dict[str, Any] | None:
    if row.intake_id is None:
        return None
    residence = row.residence_status
    return {
        "id": row.intake_id,
        "reference_code": row.reference_code,
        "given_name": row.given_name,
        "family_name": row.family_name,
        "given_name_own_spelling": row.given_name_own_spelling,
        "family_name_own_spelling": row.family_name_own_spelling,
        "birth_date": row.birth_date,
        "nationality": row.nationality,
        "nationality_name": _COUNTRIES_DE.get(row.nationality) if row.nationality else None,
        "residence_status": residence.value if residence else None,
        "residence_status_label": labels[f"residence_status.{residence.value}"]
        if residence
        else None,
        "german_level": row.german_level.value if row.german_level else None,
        "assisted": row.assisted,
    }


def _entry(session: Session, row: Row[Any], labels: GermanLabels, now: datetime) -> dict[str, Any]:
    """A ticket's QueueEntry fields, from a row of queue_service.DESK_COLUMNS."""
    waited_until = row.called_at or now
    return {
        "id": row.id,
        "number": row.number,
        "display_number": queue_service.display_number(row.number),
        "status": row.status,
        "status_label": labels[f"ticket_status.{row.status.value}"],
        "arrived_at": row.arrived_at,
        "waiting_minutes": max(0, math.floor((waited_until - row.arrived_at).total_seconds() / 60)),
        "language": row.language,
        "language_name": labels.language(row.language),
        "interpreter_needed": row.interpreter_needed,
        "concern": row.concern,
        "concern_label": labels[f"concern.{row.concern.value}"],
        "concern_text": to_german(
            session=session,
            text=row.concern_text,
            source_language=row.language,
            notices=labels.notices,
            routes=labels.routes,
        ),
        "service_code": row.service_code,
        "service_name": row.service_name,
        "routing_rule": row.routing_rule,
        "routing_reason": labels[row.routing_reason_key] if row.routing_reason_key else None,
        "handed_to_service_code": row.handed_to_service_code,
        "desk": row.desk,
        "called_at": row.called_at,
        "appointment_at": row.appointment_at,
        "intake": _intake_summary(row, labels),
        "version": queue_service.ticket_version(
            row.id, row.status, row.desk, row.handed_to_service_id, row.called_at
        ),
    }


def queue_entry(session: Session, ticket: QueueTicket) -> QueueEntry:
    row = queue_service.desk_row(session=session, ticket=ticket)
    return QueueEntry.model_validate(_entry(session, row, GermanLabels(), utcnow()))


# The whole view is validated and written to JSON in one call each (pydantic-core), not per entry.
QUEUE_ENTRIES = TypeAdapter(list[QueueEntry])


def live_queue(
    *,
    session: Session,
    site: Site,
    staff_id: int,
    include_finished: bool,
    ids: Collection[int] | None = None,
) -> bytes:
    """Today's arrivals (only `ids` when given) with the captured data in German, as the JSON of
    a list of QueueEntry; which records the desk saw goes into the audit trail."""
    rows = queue_service.todays_desk_rows(
        session=session, site=site, include_finished=include_finished, ids=ids
    )
    labels = GermanLabels()
    now = utcnow()
    entries = QUEUE_ENTRIES.validate_python([_entry(session, row, labels, now) for row in rows])
    queue_service.audit_queue_read(
        session=session,
        site=site,
        intake_ids=[row.intake_id for row in rows if row.intake_id],
        staff_id=staff_id,
    )
    return QUEUE_ENTRIES.dump_json(entries)


def call_next(
    *, session: Session, site: Site, desk: str, service_code: str | None, staff_id: int
) -> QueueEntry:
    ticket = queue_service.call_next(
        session=session, site=site, desk=desk, service_code=service_code, staff_id=staff_id
    )
    return queue_entry(session, ticket)


def call(*, session: Session, site: Site, ticket_id: int, desk: str, staff_id: int) -> QueueEntry:
    ticket = queue_service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    return queue_entry(
        session, queue_service.call(session=session, ticket=ticket, desk=desk, staff_id=staff_id)
    )


def hand_over(
    *,
    session: Session,
    site: Site,
    ticket_id: int,
    service_code: str,
    desk: str | None,
    staff_id: int,
) -> QueueEntry:
    ticket = queue_service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    ticket = queue_service.hand_over(
        session=session,
        site=site,
        ticket=ticket,
        service_code=service_code,
        desk=desk,
        staff_id=staff_id,
    )
    return queue_entry(session, ticket)


def finish(
    *, session: Session, site: Site, ticket_id: int, status: TicketStatus, staff_id: int
) -> QueueEntry:
    ticket = queue_service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    return queue_entry(
        session,
        queue_service.finish(session=session, ticket=ticket, status=status, staff_id=staff_id),
    )
